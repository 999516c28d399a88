// Many threads on one lock::smp kernel: three threads of one task group
// sharing a descriptor table (clone_thread), two tasks with tables of their
// own, all creating, dup'ing and closing sockets at once, while another thread
// unregisters and re-registers AF_INET6 (sock_unregister waits for a grace
// period). Checked as it runs, under each table's file_lock (fd_observer):
// no fd is handed out while it is already out, and every fd handed out was the
// lowest free one (fs/file.c's alloc_fd). Checked at the end: every counter
// back where it started.
//
// Bounded in time: SOCKMODEL_STRESS_SECONDS (default 1). Run under
// ThreadSanitizer with the tsan preset:
//     cmake --preset tsan && cmake --build --preset tsan && ctest --preset tsan
//
// The expected results are the live kernel's for the same calls, checked with
// real threads on this machine (Linux 6.18): socket(AF_INET, SOCK_STREAM, 0),
// dup and close from several threads of one process always hand out the
// lowest free descriptor (fs/file.c takes file_lock around alloc_fd) and never
// the same one twice; socket(AF_INET6) while the family is unregistered is
// EAFNOSUPPORT (net_families[] NULL in __sock_create).
#include <doctest/doctest.h>

#include <sockmodel/default_families.hpp>
#include <sockmodel/sockmodel.hpp>
#include <sockmodel/kernel/smp.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

namespace {

using namespace sockmodel;
using smp_config = config<opt::locking<lock::smp>>;
using K = kernel<smp_config>;
using abi = K::abi;

// What the observer keeps of one table: touched only under its file_lock.
struct table_check {
    std::vector<char> out = std::vector<char>(1 << 16, 0);
    std::atomic<long> handed_twice{0};
    std::atomic<long> not_lowest{0};
    std::atomic<long> released_not_out{0};
    fd_observer obs{&allocated, &released, this};

    static void allocated(void* arg, const files_struct& files, int fd)
    {
        auto& c = *static_cast<table_check*>(arg);
        if (c.out[static_cast<std::size_t>(fd)])
            c.handed_twice.fetch_add(1, std::memory_order_relaxed);
        c.out[static_cast<std::size_t>(fd)] = 1;
        // alloc_fd searches from next_fd, which never passes a free fd.
        for (int i = 0; i < fd; ++i)
            if (!files.fdt().test(files.fdt().open_fds, static_cast<unsigned>(i))) {
                c.not_lowest.fetch_add(1, std::memory_order_relaxed);
                break;
            }
    }
    static void released(void* arg, const files_struct&, int fd)
    {
        auto& c = *static_cast<table_check*>(arg);
        if (!c.out[static_cast<std::size_t>(fd)])
            c.released_not_out.fetch_add(1, std::memory_order_relaxed);
        c.out[static_cast<std::size_t>(fd)] = 0;
    }
};

double stress_seconds()
{
    if (const char* s = std::getenv("SOCKMODEL_STRESS_SECONDS"))
        return std::atof(s);
    return 1.0;
}

}  // namespace

TEST_CASE("lock::smp: threads sharing a table, separate tasks and a family coming and going")
{
    K k;
    const kernel_counters start = k.counters();

    task_struct& leader = k.spawn();
    task_struct& thread1 = k.clone_thread(leader);
    task_struct& thread2 = k.clone_thread(leader);
    task_struct& other1 = k.spawn();
    task_struct& other2 = k.spawn();
    REQUIRE(thread1.files == leader.files);
    REQUIRE(thread2.files == leader.files);

    table_check shared_check, check1, check2;
    leader.files->observer = &shared_check.obs;
    other1.files->observer = &check1.obs;
    other2.files->observer = &check2.obs;

    std::atomic<bool> stop{false};
    std::atomic<long> ops{0}, errors{0}, inet6_refused{0}, inet6_made{0}, cross_dups{0};

    auto worker = [&](task_struct& t, unsigned seed) {
        long n = 0;
        unsigned rnd = seed;
        while (!stop.load(std::memory_order_relaxed)) {
            const int fd = k.socket(t, af_inet, abi::sock_stream, 0);
            const int d = fd >= 0 ? k.dup(t, fd) : -1;
            const int u = k.socket(t, af_unix, abi::sock_dgram, 0);
            const int v6 = k.socket(t, af_inet6, abi::sock_dgram, 0);
            if (fd < 0 || d < 0 || u < 0 || (v6 < 0 && v6 != -EAFNOSUPPORT))
                errors.fetch_add(1, std::memory_order_relaxed);
            if (v6 >= 0) {
                inet6_made.fetch_add(1, std::memory_order_relaxed);
                if (k.close(t, v6) != 0)
                    errors.fetch_add(1, std::memory_order_relaxed);
            } else {
                inet6_refused.fetch_add(1, std::memory_order_relaxed);
            }
            // A dup of whatever another thread of the table has open now:
            // racing that thread's close of it.
            rnd = rnd * 1103515245u + 12345u;
            const int r = k.dup(t, static_cast<int>((rnd >> 16) % 8));
            if (r >= 0) {
                cross_dups.fetch_add(1, std::memory_order_relaxed);
                if (k.close(t, r) != 0)
                    errors.fetch_add(1, std::memory_order_relaxed);
            }
            for (int x : {d, fd, u})
                if (x >= 0 && k.close(t, x) != 0)
                    errors.fetch_add(1, std::memory_order_relaxed);
            n += 5;
        }
        ops.fetch_add(n, std::memory_order_relaxed);
    };

    long registrations = 0;
    auto registrar = [&] {
        while (!stop.load(std::memory_order_relaxed)) {
            k.sock_unregister(af_inet6);  // returns after a grace period
            std::this_thread::yield();
            if (k.sock_register(&family_ops<K, inet6_family>) != 0)
                errors.fetch_add(1, std::memory_order_relaxed);
            ++registrations;
            std::this_thread::sleep_for(std::chrono::microseconds(100));
        }
    };

    const auto t0 = std::chrono::steady_clock::now();
    std::vector<std::thread> threads;
    threads.emplace_back(worker, std::ref(leader), 1u);
    threads.emplace_back(worker, std::ref(thread1), 2u);
    threads.emplace_back(worker, std::ref(thread2), 3u);
    threads.emplace_back(worker, std::ref(other1), 4u);
    threads.emplace_back(worker, std::ref(other2), 5u);
    threads.emplace_back(registrar);
    std::this_thread::sleep_for(std::chrono::duration<double>(stress_seconds()));
    stop = true;
    for (auto& th : threads)
        th.join();
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("stress: %.2f s, %ld system calls (socket, dup, close) in 5 threads, %ld AF_INET6 re-registrations, "
                "%ld AF_INET6 sockets made, %ld refused, %ld cross-thread dups\n",
                secs, ops.load() + cross_dups.load(), registrations, inet6_made.load(), inet6_refused.load(),
                cross_dups.load());

    CHECK(errors.load() == 0);
    for (table_check* c : {&shared_check, &check1, &check2}) {
        CHECK(c->handed_twice.load() == 0);
        CHECK(c->not_lowest.load() == 0);
        CHECK(c->released_not_out.load() == 0);
    }
    CHECK(registrations > 0);
    CHECK(ops.load() > 0);

    // Everything closed: every table empty, every counter back to its start.
    const kernel_counters end = k.counters();
    CHECK(end.open_fds == 0);
    CHECK(end.sockets == start.sockets);
    CHECK(end.files == start.files);
    CHECK(end.socks == start.socks);
    CHECK(end.nr_files == start.nr_files);
    CHECK(end.module_refs == start.module_refs);
    CHECK(end.net_refs == start.net_refs);
    CHECK(end.sock_inuse == start.sock_inuse);
    CHECK(end.prot_inuse == start.prot_inuse);
    CHECK(end.family_state == start.family_state);
    // The family is registered again and works.
    CHECK(k.net_families.get(af_inet6) != nullptr);
    const int fd = k.socket(leader, af_inet6, abi::sock_stream, 0);
    CHECK(fd == 0);
    CHECK(k.close(leader, fd) == 0);
}

TEST_CASE("lock::smp: sock_unregister waits for a reader inside the RCU read side")
{
    // synchronize_rcu returns only once the reader that was inside leaves.
    K k;
    task_struct& t = k.spawn();
    k.smp.rcu_read_lock(t.cpu);
    std::atomic<bool> done{false};
    std::thread w([&] {
        k.sock_unregister(af_inet6);
        done = true;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    CHECK_FALSE(done.load());
    k.smp.rcu_read_unlock(t.cpu);
    w.join();
    CHECK(done.load());
    CHECK(k.socket(t, af_inet6, abi::sock_stream, 0) == -EAFNOSUPPORT);
}
