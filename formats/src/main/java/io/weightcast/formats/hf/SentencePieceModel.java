package io.weightcast.formats.hf;

import io.weightcast.formats.tensor.MalformedFileException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A SentencePiece {@code tokenizer.model}: the serialized {@code ModelProto}, parsed by hand. Only what GGUF
 * needs is read: {@code pieces} (field 1: piece = 1, score = 2, type = 3), the trainer's model type
 * ({@code trainer_spec} = 2, field 3) and the normalizer's {@code add_dummy_prefix} ({@code normalizer_spec} = 3,
 * field 3). Piece types use SentencePiece's numbering, which GGUF's {@code token_type} shares: 1 normal,
 * 2 unknown, 3 control, 4 user defined, 5 unused, 6 byte.
 */
public final class SentencePieceModel {
    public static final int NORMAL = 1, UNKNOWN = 2, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5, BYTE = 6;

    /** One vocabulary entry. */
    public record Piece(String piece, float score, int type) {
    }

    private final List<Piece> pieces;
    private final int modelType;
    private final boolean addDummyPrefix;

    private SentencePieceModel(List<Piece> pieces, int modelType, boolean addDummyPrefix) {
        this.pieces = List.copyOf(pieces);
        this.modelType = modelType;
        this.addDummyPrefix = addDummyPrefix;
    }

    public static SentencePieceModel read(Path file) throws IOException {
        try {
            return parse(Files.readAllBytes(file));
        } catch (IllegalArgumentException | java.nio.BufferUnderflowException e) {
            throw new MalformedFileException(file, -1, "is not a SentencePiece model: " + e.getMessage());
        }
    }

    public static SentencePieceModel parse(byte[] bytes) {
        try {
            return parseUnchecked(bytes);
        } catch (java.nio.BufferUnderflowException | IndexOutOfBoundsException e) {
            throw new IllegalArgumentException("truncated protobuf", e);
        }
    }

    private static SentencePieceModel parseUnchecked(byte[] bytes) {
        ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        List<Piece> pieces = new ArrayList<>();
        int modelType = 1; // UNIGRAM is the proto default
        boolean dummyPrefix = true; // add_dummy_prefix defaults to true
        while (in.hasRemaining()) {
            long key = varint(in);
            int field = (int) (key >>> 3);
            int wire = (int) (key & 7);
            if (field == 1 && wire == 2) {
                pieces.add(piece(sub(in)));
            } else if (field == 2 && wire == 2) {
                ByteBuffer t = sub(in);
                while (t.hasRemaining()) {
                    long k = varint(t);
                    if ((k >>> 3) == 3 && (k & 7) == 0) {
                        modelType = (int) varint(t);
                    } else {
                        skip(t, (int) (k & 7));
                    }
                }
            } else if (field == 3 && wire == 2) {
                ByteBuffer n = sub(in);
                while (n.hasRemaining()) {
                    long k = varint(n);
                    if ((k >>> 3) == 3 && (k & 7) == 0) {
                        dummyPrefix = varint(n) != 0;
                    } else {
                        skip(n, (int) (k & 7));
                    }
                }
            } else {
                skip(in, wire);
            }
        }
        if (pieces.isEmpty()) {
            throw new IllegalArgumentException("no pieces");
        }
        return new SentencePieceModel(pieces, modelType, dummyPrefix);
    }

    private static Piece piece(ByteBuffer b) {
        String text = "";
        float score = 0;
        int type = NORMAL;
        while (b.hasRemaining()) {
            long k = varint(b);
            int f = (int) (k >>> 3);
            int w = (int) (k & 7);
            if (f == 1 && w == 2) {
                ByteBuffer s = sub(b);
                byte[] raw = new byte[s.remaining()];
                s.get(raw);
                text = new String(raw, StandardCharsets.UTF_8);
            } else if (f == 2 && w == 5) {
                score = b.getFloat();
            } else if (f == 3 && w == 0) {
                type = (int) varint(b);
            } else {
                skip(b, w);
            }
        }
        return new Piece(text, score, type);
    }

    private static ByteBuffer sub(ByteBuffer in) {
        int len = Math.toIntExact(varint(in));
        if (len < 0 || len > in.remaining()) {
            throw new IllegalArgumentException("length " + len + " beyond the end at byte " + in.position());
        }
        ByteBuffer s = in.slice(in.position(), len).order(ByteOrder.LITTLE_ENDIAN);
        in.position(in.position() + len);
        return s;
    }

    private static void skip(ByteBuffer in, int wire) {
        switch (wire) {
            case 0 -> varint(in);
            case 1 -> in.position(in.position() + 8);
            case 2 -> sub(in);
            case 5 -> in.position(in.position() + 4);
            default -> throw new IllegalArgumentException("unsupported wire type " + wire + " at byte " + in.position());
        }
    }

    private static long varint(ByteBuffer in) {
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            byte b = in.get();
            v |= (long) (b & 0x7f) << shift;
            if (b >= 0) {
                return v;
            }
        }
        throw new IllegalArgumentException("varint longer than 10 bytes at byte " + in.position());
    }

    public List<Piece> pieces() {
        return pieces;
    }

    /** trainer_spec.model_type: 1 unigram, 2 bpe, 3 word, 4 char. */
    public int modelType() {
        return modelType;
    }

    public boolean addDummyPrefix() {
        return addDummyPrefix;
    }
}
