package io.weightcast.testdata.peer;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.weightcast.testdata.SharedTestData;
import java.nio.file.Path;

/** Skips a test (JUnit assumption) when the peer library or the shared test data is absent. */
final class PeerAssumptions {
    private PeerAssumptions() {}

    static GgmlPeer peer() {
        var p = GgmlPeer.load();
        assumeTrue(p.isPresent(), () -> "peer absent: " + GgmlPeer.unavailableReason());
        return p.get();
    }

    static Path golden() {
        var g = SharedTestData.ggmlGolden();
        assumeTrue(g.isPresent(), "../shared/testdata/ggml-golden absent");
        return g.get();
    }
}
