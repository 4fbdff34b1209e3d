package io.weightcast.formats.gguf;

import java.util.List;
import java.util.Map;

/**
 * Serializes a GGUF v3 header exactly as gguf.cpp's {@code gguf_write_out} does: magic, version, counts, KV pairs
 * in the given order, tensor infos, then zero padding to the alignment (where the data section starts).
 */
final class GgufHeaderEncoder {
    static final int VERSION = 3;

    private GgufHeaderEncoder() {
    }

    /** The bytes of the header and the padding before the data section. Metadata is written as given. */
    static byte[] encode(GgufMetadata kvs, List<GgufTensorInfo> tensors, int alignment) {
        LittleEndianBuffer out = new LittleEndianBuffer();
        out.i32(GgufHeaderParser.MAGIC);              // uint32_t magic = "GGUF"
        out.i32(VERSION);                             // uint32_t version
        out.i64(tensors.size());                      // uint64_t tensor_count
        out.i64(kvs.size());                          // uint64_t metadata_kv_count
        for (Map.Entry<String, GgufValue> kv : kvs.asMap().entrySet()) {
            out.string(kv.getKey());                  // gguf_string_t key
            GgufValue v = kv.getValue();
            out.i32(v.type().id());                   // gguf_metadata_value_type value_type
            if (v.isArray()) {
                out.i32(v.elementType().id());        // array: element type
                List<?> list = v.asList();
                out.i64(list.size());                 // array: uint64_t len
                for (Object e : list) {
                    scalar(out, v.elementType(), e);
                }
            } else {
                scalar(out, v.type(), v.value());
            }
        }
        for (GgufTensorInfo t : tensors) {
            out.string(t.name());                     // gguf_string_t name
            long[] ne = t.ne();
            out.i32(ne.length);                       // uint32_t n_dimensions
            for (long d : ne) {
                out.i64(d);                           // uint64_t dimensions[n_dimensions]
            }
            out.i32(t.type().ggmlId());               // ggml_type type
            out.i64(t.offset());                      // uint64_t offset
        }
        out.padTo(alignment);
        return out.toByteArray();
    }

    private static void scalar(LittleEndianBuffer out, GgufValueType type, Object v) {
        switch (type) {
            case UINT8, INT8 -> out.u8((Byte) v);
            case UINT16, INT16 -> out.i16((Short) v);
            case UINT32, INT32 -> out.i32((Integer) v);
            case UINT64, INT64 -> out.i64((Long) v);
            case FLOAT32 -> out.f32((Float) v);
            case FLOAT64 -> out.f64((Double) v);
            case BOOL -> out.u8((Boolean) v ? 1 : 0);
            case STRING -> out.string((String) v);
            case ARRAY -> throw new IllegalArgumentException("nested GGUF arrays are not supported");
        }
    }
}
