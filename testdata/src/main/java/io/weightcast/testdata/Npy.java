package io.weightcast.testdata;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A minimal NumPy {@code .npy} reader (format versions 1-3, C order, little-endian {@code <f4}, {@code <f8},
 * {@code <i4}, {@code <i8}): enough for the reference inputs and logits stored with the test checkpoints.
 */
public record Npy(String dtype, long[] shape, ByteBuffer data) {
    private static final Pattern DESCR = Pattern.compile("'descr':\\s*'([^']+)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order':\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape':\\s*\\(([^)]*)\\)");

    public static Npy read(Path file) throws IOException {
        byte[] all = Files.readAllBytes(file);
        ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        if (all.length < 10 || (all[0] & 0xff) != 0x93 || !new String(all, 1, 5, StandardCharsets.ISO_8859_1)
                .equals("NUMPY")) {
            throw new IOException(file + ": not a .npy file (magic)");
        }
        int major = all[6];
        int headerLen = major == 1 ? Short.toUnsignedInt(b.getShort(8)) : b.getInt(8);
        int start = major == 1 ? 10 : 12;
        String header = new String(all, start, headerLen, major == 3 ? StandardCharsets.UTF_8
                : StandardCharsets.ISO_8859_1);
        Matcher d = DESCR.matcher(header);
        Matcher f = FORTRAN.matcher(header);
        Matcher s = SHAPE.matcher(header);
        if (!d.find() || !f.find() || !s.find()) {
            throw new IOException(file + ": cannot parse header " + header);
        }
        if (f.group(1).equals("True")) {
            throw new IOException(file + ": Fortran order is not supported");
        }
        long[] shape = Arrays.stream(s.group(1).split(",")).map(String::trim).filter(x -> !x.isEmpty())
                .mapToLong(Long::parseLong).toArray();
        String dtype = d.group(1);
        if (!dtype.matches("<[fi][48]")) {
            throw new IOException(file + ": dtype " + dtype + " is not supported (little-endian f4/f8/i4/i8 only)");
        }
        ByteBuffer data = ByteBuffer.wrap(all, start + headerLen, all.length - start - headerLen).slice()
                .order(ByteOrder.LITTLE_ENDIAN);
        long count = Arrays.stream(shape).reduce(1, (x, y) -> x * y);
        int itemSize = dtype.charAt(2) - '0';
        if (data.remaining() != count * itemSize) {
            throw new IOException(file + ": " + data.remaining() + " data bytes, expected " + count * itemSize);
        }
        return new Npy(dtype, shape, data);
    }

    public long count() {
        return Arrays.stream(shape).reduce(1, (x, y) -> x * y);
    }

    /** All values as floats (f4 exactly, others converted). */
    public float[] floats() {
        float[] out = new float[Math.toIntExact(count())];
        for (int i = 0; i < out.length; i++) {
            out[i] = switch (dtype) {
                case "<f4" -> data.getFloat(i * 4);
                case "<f8" -> (float) data.getDouble(i * 8);
                case "<i4" -> data.getInt(i * 4);
                default -> data.getLong(i * 8);
            };
        }
        return out;
    }

    /** All values as ints (integer dtypes, range-checked). */
    public int[] ints() {
        int[] out = new int[Math.toIntExact(count())];
        for (int i = 0; i < out.length; i++) {
            out[i] = switch (dtype) {
                case "<i4" -> data.getInt(i * 4);
                case "<i8" -> Math.toIntExact(data.getLong(i * 8));
                default -> throw new IllegalStateException("not an integer array: " + dtype);
            };
        }
        return out;
    }
}
