package io.weightcast.formats.safetensors;

import io.weightcast.formats.tensor.TensorSpec;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * Builds a header the way the reference writer (Rust {@code safetensors}, behind the Python package) formats it:
 * compact serde_json, {@code __metadata__} first, then {@code {"dtype":..,"shape":[..],"data_offsets":[b,e]}}
 * per tensor with contiguous offsets, space-padded to a multiple of 8 bytes so that the data section is aligned.
 *
 * <p>Only the formatting matches: the reference also re-orders tensors (by dtype alignment, then name) and
 * writes metadata in hash order, while we keep the caller's order so that output is deterministic.
 * It also writes {@code "__metadata__":{}} for an empty map; we omit the key then, as it does for no map.
 */
final class HeaderJson {
    private HeaderJson() {
    }

    /** The padded header bytes (without the 8-byte length prefix). */
    static byte[] encode(Map<String, String> metadata, List<TensorSpec> specs) {
        StringBuilder sb = new StringBuilder(64 + specs.size() * 96);
        sb.append('{');
        boolean first = true;
        if (!metadata.isEmpty()) {
            sb.append("\"" + HeaderParser.METADATA_KEY + "\":{");
            boolean firstKey = true;
            for (var e : metadata.entrySet()) {
                sb.append(firstKey ? "" : ",");
                JsonText.serdeString(sb, e.getKey());
                sb.append(':');
                JsonText.serdeString(sb, e.getValue());
                firstKey = false;
            }
            sb.append('}');
            first = false;
        }
        long offset = 0;
        for (TensorSpec spec : specs) {
            sb.append(first ? "" : ",");
            first = false;
            JsonText.serdeString(sb, spec.name());
            sb.append(":{\"dtype\":\"").append(spec.dtype().safetensorsName().orElseThrow()).append("\",\"shape\":[");
            long[] shape = spec.shape();
            for (int i = 0; i < shape.length; i++) {
                sb.append(i == 0 ? "" : ",").append(shape[i]);
            }
            long end = offset + spec.byteSize();
            sb.append("],\"data_offsets\":[").append(offset).append(',').append(end).append("]}");
            offset = end;
        }
        sb.append('}');
        byte[] json = sb.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) & ~7;
        byte[] out = java.util.Arrays.copyOf(json, padded);
        java.util.Arrays.fill(out, json.length, padded, (byte) ' ');
        return out;
    }
}
