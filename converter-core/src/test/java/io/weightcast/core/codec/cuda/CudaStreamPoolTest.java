package io.weightcast.core.codec.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Runs everywhere (no GPU needed): the bookkeeping of {@link CudaStreamPool} with lanes that only log what the pool
 * does to them (the GPU tests cover the real lanes).
 */
class CudaStreamPoolTest {

    /** A lane that logs "name:event" into a shared list; {@code pending} stands for a queued sub-chunk's results. */
    private static final class FakeLane implements CudaStreamPool.Pooled {
        final String name;
        final List<String> log;
        String pending;

        FakeLane(String name, List<String> log) {
            this.name = name;
            this.log = log;
        }

        @Override
        public void finish() {
            if (pending != null) {
                log.add(name + ":deliver " + pending);
                pending = null;
            }
        }

        @Override
        public void abandon() {
            log.add(name + ":abandon" + (pending == null ? "" : " " + pending));
            pending = null;
        }
    }

    private static CudaStreamPool<FakeLane> pool(int max, List<String> log) {
        AtomicInteger made = new AtomicInteger();
        return new CudaStreamPool<>(max, () -> new FakeLane("L" + made.getAndIncrement(), log));
    }

    @Test
    void runAlternatesTwoLanesAndDeliversEverySubChunkInOrder() {
        List<String> log = new ArrayList<>();
        CudaStreamPool<FakeLane> pool = pool(4, log);
        pool.run(25, 10, (lane, done, count) -> {
            log.add(lane.name + ":submit " + done + "+" + count);
            lane.pending = done + "+" + count;
        });
        assertThat(log).containsExactly("L0:submit 0+10", "L1:submit 10+10", "L0:deliver 0+10", "L0:submit 20+5",
                "L1:deliver 10+10", "L0:deliver 20+5");
        // both lanes went back: two more callers get them without a third being made
        assertThat(List.of(pool.acquire(false).name, pool.acquire(false).name)).containsExactlyInAnyOrder("L0", "L1");
    }

    @Test
    void runUsesOneLaneForOneSubChunkAndWhenNoSecondIsFree() {
        List<String> log = new ArrayList<>();
        CudaStreamPool<FakeLane> pool = pool(1, log);
        pool.run(10, 10, (lane, done, count) -> lane.pending = done + "+" + count);
        pool.run(20, 10, (lane, done, count) -> lane.pending = done + "+" + count); // the only lane: no waiting
        assertThat(log).containsExactly("L0:deliver 0+10", "L0:deliver 0+10", "L0:deliver 10+10");
    }

    @Test
    void aFailureAbandonsBothLanesAndGivesThemBack() {
        List<String> log = new ArrayList<>();
        CudaStreamPool<FakeLane> pool = pool(2, log);
        assertThatThrownBy(() -> pool.run(30, 10, (lane, done, count) -> {
            if (done == 20) {
                throw new IllegalStateException("boom");
            }
            lane.pending = done + "+" + count;
        })).hasMessage("boom");
        assertThat(log).containsExactly("L0:deliver 0+10", "L0:abandon", "L1:abandon 10+10");
        assertThat(pool.acquire(false)).isNotNull();
        assertThat(pool.acquire(false)).isNotNull();
        assertThat(pool.acquire(false)).as("no third lane past the maximum").isNull();
    }

    @Test
    void callGivesTheLaneBackAndAbandonsItAfterAFailure() {
        List<String> log = new ArrayList<>();
        CudaStreamPool<FakeLane> pool = pool(1, log);
        String name = pool.call(lane -> lane.name);
        assertThat(name).isEqualTo("L0");
        assertThatThrownBy(() -> pool.use(lane -> {
            throw new IllegalStateException("boom");
        })).hasMessage("boom");
        assertThat(log).containsExactly("L0:abandon");
        assertThat(pool.acquire(false)).isNotNull();
    }

    @Test
    void aLaneThatCannotBeMadeIsNotCountedAndTheFirstLaneIsNotLost() {
        List<String> log = new ArrayList<>();
        AtomicInteger attempts = new AtomicInteger();
        CudaStreamPool<FakeLane> pool = new CudaStreamPool<>(2, () -> {
            if (attempts.getAndIncrement() == 1) {
                throw new IllegalStateException("out of memory");
            }
            return new FakeLane("L" + attempts.get(), log);
        });
        assertThatThrownBy(() -> pool.run(20, 10, (lane, done, count) -> {
        })).hasMessage("out of memory");
        FakeLane a = pool.acquire(false);
        FakeLane b = pool.acquire(false);
        assertThat(a).as("the first lane went back").isNotNull();
        assertThat(b).as("the failed lane left room for another").isNotNull();
        assertThat(pool.acquire(false)).isNull();
    }

    @Test
    void aCallerBeyondTheMaximumWaitsForAFreeLane() throws Exception {
        List<String> log = new ArrayList<>();
        CudaStreamPool<FakeLane> pool = pool(1, log);
        FakeLane held = pool.acquire(true);
        CountDownLatch got = new CountDownLatch(1);
        Thread waiter = Thread.ofPlatform().start(() -> pool.use(lane -> got.countDown()));
        assertThat(got.await(200, TimeUnit.MILLISECONDS)).isFalse();
        pool.release(held, true);
        assertThat(got.await(10, TimeUnit.SECONDS)).isTrue();
        waiter.join();
    }
}
