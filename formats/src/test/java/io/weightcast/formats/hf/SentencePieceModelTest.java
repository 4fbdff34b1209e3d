package io.weightcast.formats.hf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** A hand-encoded ModelProto (protobuf wire format) read back by the hand-written parser. */
class SentencePieceModelTest {

    static void varint(ByteArrayOutputStream o, long v) {
        while ((v & ~0x7fL) != 0) {
            o.write((int) ((v & 0x7f) | 0x80));
            v >>>= 7;
        }
        o.write((int) v);
    }

    static byte[] piece(String text, float score, int type) {
        ByteArrayOutputStream p = new ByteArrayOutputStream();
        byte[] t = text.getBytes(StandardCharsets.UTF_8);
        varint(p, (1 << 3) | 2);
        varint(p, t.length);
        p.writeBytes(t);
        varint(p, (2 << 3) | 5);
        p.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(score).array());
        if (type != 1) {
            varint(p, 3 << 3);
            varint(p, type);
        }
        return p.toByteArray();
    }

    @Test
    void readsPiecesScoresTypesAndSpecs() {
        ByteArrayOutputStream m = new ByteArrayOutputStream();
        for (byte[] p : new byte[][] {piece("<unk>", 0, 2), piece("<s>", 0, 3), piece("<0x0A>", 0, 6),
            piece("\u2581the", -3.5f, 1), piece("é", -7.25f, 1)}) {
            varint(m, (1 << 3) | 2);
            varint(m, p.length);
            m.writeBytes(p);
        }
        // trainer_spec { model_type: BPE (2) } and an unknown field to skip, normalizer_spec { add_dummy_prefix: 0 }
        varint(m, (2 << 3) | 2);
        varint(m, 6);
        varint(m, 3 << 3);
        varint(m, 2);
        varint(m, 40 << 3);
        varint(m, 300);
        varint(m, (3 << 3) | 2);
        varint(m, 2);
        varint(m, 3 << 3);
        varint(m, 0);
        SentencePieceModel spm = SentencePieceModel.parse(m.toByteArray());
        assertThat(spm.pieces()).containsExactly(new SentencePieceModel.Piece("<unk>", 0, 2),
                new SentencePieceModel.Piece("<s>", 0, 3), new SentencePieceModel.Piece("<0x0A>", 0, 6),
                new SentencePieceModel.Piece("\u2581the", -3.5f, 1), new SentencePieceModel.Piece("é", -7.25f, 1));
        assertThat(spm.modelType()).isEqualTo(2);
        assertThat(spm.addDummyPrefix()).isFalse();
    }

    @Test
    void rejectsTruncatedInput() {
        assertThatThrownBy(() -> SentencePieceModel.parse(new byte[] {0x0a, 0x10, 0x01}))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
