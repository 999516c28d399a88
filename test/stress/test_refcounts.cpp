// Reference counts under lock::smp, where two threads drop references to the
// same objects at once. The kernel's sk_refcnt is a refcount_t, f_count an
// atomic_long_t, files->count an atomic_t: whichever put is last frees, and
// exactly one is. Here:
//   - two threads of one process close the two ends of an AF_UNIX socketpair
//     at the same moment, round after round: each end's unix_release_sock
//     drops its peer's reference (sock_put(unix_peer(sk))) while the peer's own
//     close drops the others;
//   - threads of one process and tasks of their own mix socket, socketpair,
//     dup, close, clone (with and without CLONE_FILES) and exit.
// Every counter must be back at its start at the end: a lost decrement leaks
// socks, module and netns references and unix_nr_socks; a lost increment frees
// early (ASan/TSan report it). Before refcount_t (a plain ++/--) the first
// case leaked thousands of socks per 200,000 rounds.
//
// Rounds: SOCKMODEL_STRESS_ROUNDS (default 1,000,000 socketpairs; the mixes
// run a tenth of that per thread). Run under ThreadSanitizer with the tsan
// preset.
#include <doctest/doctest.h>

#include <sockmodel/default_families.hpp>
#include <sockmodel/sockmodel.hpp>
#include <sockmodel/kernel/smp.hpp>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include <sys/socket.h>

namespace {

using namespace sockmodel;
using K = kernel<config<opt::locking<lock::smp>>>;

long stress_rounds()
{
    if (const char* s = std::getenv("SOCKMODEL_STRESS_ROUNDS"))
        return std::atol(s);
    return 1000000;
}

// Two threads meeting at the start of each round.
class spin_barrier {
public:
    void arrive_and_wait(long round)
    {
        if (arrived_.fetch_add(1, std::memory_order_acq_rel) % 2 == 1)
            round_.store(round, std::memory_order_release);
        while (round_.load(std::memory_order_acquire) < round)
            std::this_thread::yield();
    }

private:
    std::atomic<long> arrived_{0};
    std::atomic<long> round_{0};
};

}  // namespace

TEST_CASE("lock::smp: two threads closing the two ends of AF_UNIX socketpairs at once leave every counter at zero")
{
    const long rounds = stress_rounds();
    K k;
    task_struct& leader = k.spawn();
    task_struct& other = k.clone_thread(leader);  // one descriptor table, two threads
    const kernel_counters start = k.counters();

    std::atomic<int> sv[2]{-1, -1};
    spin_barrier made, closed;
    std::atomic<long> close_errors{0};
    std::thread peer([&] {
        for (long r = 1; r <= rounds; ++r) {
            made.arrive_and_wait(r);
            if (k.close(other, sv[1].load(std::memory_order_relaxed)) != 0)
                close_errors.fetch_add(1, std::memory_order_relaxed);
            closed.arrive_and_wait(r);
        }
    });
    long pair_errors = 0;
    for (long r = 1; r <= rounds; ++r) {
        int fds[2] = {-1, -1};
        if (k.socketpair(leader, AF_UNIX, SOCK_STREAM, 0, fds) != 0)
            ++pair_errors;
        sv[0].store(fds[0], std::memory_order_relaxed);
        sv[1].store(fds[1], std::memory_order_relaxed);
        made.arrive_and_wait(r);  // both ends close from here, at once
        if (k.close(leader, fds[0]) != 0)
            close_errors.fetch_add(1, std::memory_order_relaxed);
        closed.arrive_and_wait(r);
    }
    peer.join();
    CHECK(pair_errors == 0);
    CHECK(close_errors.load() == 0);
    k.exit(other);
    const kernel_counters end = k.counters();
    std::printf("refcounts: %ld socketpairs closed end against end\n", rounds);
    CHECK(end == start);
    k.exit(leader);
    CHECK(k.counters() == kernel_counters{});
}

TEST_CASE("lock::smp: socket, socketpair, dup, close, clone and exit from many threads leave every counter at zero")
{
    const long rounds = stress_rounds() / 10;
    K k;
    task_struct& leader = k.spawn(cred::user(1000, 1000));
    std::vector<task_struct*> threads_of{&leader, &k.clone_thread(leader), &k.clone_thread(leader)};
    const kernel_counters start = k.counters();
    std::atomic<long> errors{0};

    auto worker = [&](task_struct& t, unsigned seed) {
        std::uint64_t x = seed * 0x9e3779b97f4a7c15ULL + 1;
        for (long r = 0; r < rounds; ++r) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            switch (x % 5) {
            case 0: {  // socket, dup, close both
                const int fd = k.socket(t, x & 8 ? AF_INET6 : AF_UNIX, SOCK_DGRAM, 0);
                if (fd < 0) {
                    errors.fetch_add(1, std::memory_order_relaxed);
                    break;
                }
                const int d = k.dup(t, fd);
                k.close(t, fd);
                if (d >= 0)
                    k.close(t, d);
                break;
            }
            case 1: {  // a socketpair, its ends closed by whoever gets there
                int sv[2];
                if (k.socketpair(t, AF_UNIX, SOCK_STREAM, 0, sv) == 0) {
                    k.close(t, sv[1]);
                    k.close(t, sv[0]);
                } else {
                    errors.fetch_add(1, std::memory_order_relaxed);
                }
                break;
            }
            case 2: {  // a child with a copy of the table (dup_fd), which exits
                const int fd = k.socket(t, AF_INET, SOCK_STREAM, 0);
                const int pid = k.clone(t, 0);
                if (pid < 0)
                    errors.fetch_add(1, std::memory_order_relaxed);
                else
                    k.exit(*k.find_task(pid));
                if (fd >= 0)
                    k.close(t, fd);
                break;
            }
            case 3: {  // a child sharing the table (CLONE_FILES), which exits
                const int pid = k.clone(t, clone_flag::files);
                if (pid < 0)
                    errors.fetch_add(1, std::memory_order_relaxed);
                else
                    k.exit(*k.find_task(pid));
                break;
            }
            default: {  // a task of its own, with sockets left open at exit
                task_struct& own = k.spawn(cred::user(1000, 1000));
                int sv[2];
                k.socketpair(own, AF_UNIX, SOCK_DGRAM, 0, sv);
                k.socket(own, AF_INET, SOCK_DGRAM, 0);
                k.exit(own);
                break;
            }
            }
        }
    };
    std::vector<std::thread> ts;
    for (unsigned i = 0; i < threads_of.size(); ++i)
        ts.emplace_back(worker, std::ref(*threads_of[i]), i + 1);
    for (auto& th : ts)
        th.join();
    CHECK(errors.load() == 0);
    for (std::size_t i = 1; i < threads_of.size(); ++i)
        k.exit(*threads_of[i]);
    std::printf("refcounts: %ld mixed rounds on each of %zu threads\n", rounds, threads_of.size());
    CHECK(k.counters() == start);
}
