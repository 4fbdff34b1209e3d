package io.weightcast.core.codec;

import io.weightcast.formats.tensor.DType;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.Locale;
import java.util.Optional;

/**
 * Decides once per JVM whether the Vector API kernels can be used (Lucene's {@code VectorizationProvider}
 * pattern). The classes in {@code codec.vector} are loaded only when the module {@code jdk.incubator.vector} is in
 * the boot layer; otherwise one WARNING line is logged and the scalar codecs are used.
 *
 * <p>The system property {@value #PROPERTY} = {@code scalar} or {@code vector} forces one implementation (for
 * tests and bug reports); {@code vector} without the module is an error.
 */
public final class KernelProvider {

    /** System property that forces an implementation: {@code scalar} or {@code vector}. */
    public static final String PROPERTY = "weightcast.codec.impl";

    static final String MODULE = "jdk.incubator.vector";
    private static final String VECTOR_CODECS = "io.weightcast.core.codec.vector.VectorCodecs";
    private static final System.Logger LOG = System.getLogger(KernelProvider.class.getName());

    /** Which implementation {@link Codecs#forType} hands out. */
    public enum Implementation {
        SCALAR,
        VECTOR
    }

    private KernelProvider() {}

    private static final class Holder {
        /** Handle to {@code VectorCodecs.create(DType)}, or null when the vector kernels cannot be used. */
        static final MethodHandle CREATE = lookupVector();
        static final Implementation SELECTED = select();
    }

    private static MethodHandle lookupVector() {
        if (ModuleLayer.boot().findModule(MODULE).isEmpty()) {
            return null;
        }
        try {
            Class<?> c = Class.forName(VECTOR_CODECS);
            MethodHandles.Lookup lookup = MethodHandles.publicLookup();
            boolean usable = (boolean) lookup
                    .findStatic(c, "usable", MethodType.methodType(boolean.class)).invokeExact();
            if (!usable) {
                String species = (String) lookup
                        .findStatic(c, "describe", MethodType.methodType(String.class)).invokeExact();
                LOG.log(System.Logger.Level.WARNING,
                        "vector shape " + species + " not supported by the codec kernels; using scalar codecs");
                return null;
            }
            return lookup.findStatic(c, "create", MethodType.methodType(Codec.class, DType.class));
        } catch (Throwable t) {
            LOG.log(System.Logger.Level.WARNING, "Vector API codecs unavailable (" + t + "); using scalar codecs");
            return null;
        }
    }

    private static Implementation select() {
        String forced = System.getProperty(PROPERTY, "").trim().toLowerCase(Locale.ROOT);
        switch (forced) {
            case "" -> {
                if (Holder.CREATE == null) {
                    if (ModuleLayer.boot().findModule(MODULE).isEmpty()) {
                        LOG.log(System.Logger.Level.WARNING, MODULE + " not available; using scalar codecs — start"
                                + " the JVM with --add-modules=" + MODULE);
                    }
                    return Implementation.SCALAR;
                }
                return Implementation.VECTOR;
            }
            case "scalar" -> {
                return Implementation.SCALAR;
            }
            case "vector" -> {
                if (Holder.CREATE == null) {
                    throw new IllegalStateException(PROPERTY + "=vector but the Vector API kernels are unavailable"
                            + " (start the JVM with --add-modules=" + MODULE + ")");
                }
                return Implementation.VECTOR;
            }
            default -> throw new IllegalStateException(
                    PROPERTY + " must be 'scalar' or 'vector', not '" + forced + "'");
        }
    }

    /** The implementation {@link Codecs#forType} uses in this JVM. */
    public static Implementation selected() {
        return Holder.SELECTED;
    }

    /** Whether the Vector API kernels are loaded and usable in this JVM (regardless of {@value #PROPERTY}). */
    public static boolean vectorAvailable() {
        return Holder.CREATE != null;
    }

    /** The vector codec for a type, if the kernels are available and one exists for it. */
    static Optional<Codec> vector(DType type) {
        MethodHandle create = Holder.CREATE;
        if (create == null) {
            return Optional.empty();
        }
        try {
            return Optional.ofNullable((Codec) create.invokeExact(type));
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
