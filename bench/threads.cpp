// Scaling: socket(AF_INET, SOCK_STREAM)+close() from N threads at once, in
// the model with opt::locking<lock::smp> and in the live kernel with real
// threads, each
//   independent  a model kernel per thread, nothing shared: the ceiling this
//                machine gives this code (caches, memory, the hypervisor)
//   separate     one task (process) per thread, each with its own fd table
//                (model: k.spawn(); live: unshare(CLONE_FILES) in the thread)
//   shared       all threads in one task group sharing one fd table
//                (model: k.clone_thread(leader); live: plain pthreads)
// beside the default lock::none kernel from one thread (the cost the lock
// policy adds). The thread counts are arguments (->ThreadRange); after the
// runs a summary prints the throughput per thread and the scaling ratios of
// this very run:
//     sockmodel-bench-threads [--benchmark_filter=...]
// Unless given otherwise, runs are medians of 7 repetitions of 0.2 s each,
// randomly interleaved (--benchmark_enable_random_interleaving), so that a
// machine whose speed drifts during the run (a shared host) biases no
// configuration against another.
// Google Benchmark's time is wall-clock time per iteration per thread
// (UseRealTime); items_per_second is the total of all threads.
#include <sockmodel/sockmodel.hpp>
#include <sockmodel/kernel/smp.hpp>

#include <benchmark/benchmark.h>

#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

using smp_config = sockmodel::config<sockmodel::opt::locking<sockmodel::lock::smp>>;
constexpr int max_threads = 2;  // this machine has 2 CPUs; raise it on a larger one

// One model kernel per benchmark, shared by its threads, and the task group
// the "shared" runs clone their threads from.
template <class Config>
struct shared_model {
    sockmodel::kernel<Config> k;
    sockmodel::task_struct* leader = &k.spawn();
};

template <class Config>
shared_model<Config>& model_instance()
{
    static shared_model<Config> m;  // the benchmark's, not the library's: one per configuration
    return m;
}

enum class tables { separate, shared };

template <class Config, tables Tables>
void model_socket_close(benchmark::State& state)
{
    auto& m = model_instance<Config>();
    auto& k = m.k;
    sockmodel::task_struct* t = nullptr;
    if constexpr (Tables == tables::separate)
        t = &k.spawn();
    else
        t = &k.clone_thread(*m.leader);
    for (auto _ : state) {
        const int fd = k.socket(*t, sockmodel::af_inet, SOCK_STREAM, 0);
        benchmark::DoNotOptimize(fd);
        k.close(*t, fd);
    }
    state.SetItemsProcessed(state.iterations());
    k.exit(*t);
}

template <tables Tables>
void kernel_socket_close(benchmark::State& state)
{
    // A thread of its own table: what fork gives a process (CLONE_FILES undone).
    if constexpr (Tables == tables::separate)
        if (state.thread_index() != 0 && ::unshare(CLONE_FILES) != 0) {
            state.SkipWithError("unshare(CLONE_FILES) failed");
            return;
        }
    for (auto _ : state) {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        benchmark::DoNotOptimize(fd);
        ::close(fd);
    }
    state.SetItemsProcessed(state.iterations());
}

// Each thread with a kernel of its own, nothing shared: the ceiling the
// machine gives this code (caches, memory bandwidth, the hypervisor).
template <class Config>
void independent_model(benchmark::State& state)
{
    auto k = std::make_unique<sockmodel::kernel<Config>>();
    auto& t = k->spawn();
    for (auto _ : state) {
        const int fd = k->socket(t, sockmodel::af_inet, SOCK_STREAM, 0);
        benchmark::DoNotOptimize(fd);
        k->close(t, fd);
    }
    state.SetItemsProcessed(state.iterations());
    k->exit(t);
}

// The separate-table kernel runs keep thread 0 (the main thread) on the
// process's table and give every other thread a table of its own.

void default_model(benchmark::State& state) { model_socket_close<sockmodel::default_config, tables::separate>(state); }
void smp_model_separate(benchmark::State& state) { model_socket_close<smp_config, tables::separate>(state); }
void smp_model_shared(benchmark::State& state) { model_socket_close<smp_config, tables::shared>(state); }
void kernel_separate(benchmark::State& state) { kernel_socket_close<tables::separate>(state); }
void kernel_shared(benchmark::State& state) { kernel_socket_close<tables::shared>(state); }

BENCHMARK(default_model)->Name("model/lock::none")->Threads(1)->UseRealTime();
BENCHMARK(independent_model<sockmodel::default_config>)->Name("model/lock::none/independent")->ThreadRange(1, max_threads)->UseRealTime();
BENCHMARK(independent_model<smp_config>)->Name("model/lock::smp/independent")->ThreadRange(1, max_threads)->UseRealTime();
BENCHMARK(smp_model_separate)->Name("model/lock::smp/separate")->ThreadRange(1, max_threads)->UseRealTime();
BENCHMARK(smp_model_shared)->Name("model/lock::smp/shared")->ThreadRange(1, max_threads)->UseRealTime();
BENCHMARK(kernel_separate)->Name("kernel/separate")->ThreadRange(1, max_threads)->UseRealTime();
BENCHMARK(kernel_shared)->Name("kernel/shared")->ThreadRange(1, max_threads)->UseRealTime();

// Keeps items_per_second of every run for the summary.
class summary_reporter : public benchmark::ConsoleReporter {
public:
    void ReportRuns(const std::vector<Run>& runs) override
    {
        ConsoleReporter::ReportRuns(runs);
        // The median of the repetitions when there are several, else the one run.
        for (const Run& r : runs) {
            if (r.error_occurred)
                continue;
            const bool median = r.run_type == Run::RT_Aggregate && r.aggregate_name == "median";
            if (!median && (r.run_type != Run::RT_Iteration || medians.count(r.run_name.str())))
                continue;
            if (median)
                medians[r.run_name.str()] = true;
            auto it = r.counters.find("items_per_second");
            if (it != r.counters.end())
                rate[r.run_name.str()] = it->second.value;
            cpu_ns[r.run_name.str()] = r.GetAdjustedCPUTime();
        }
    }
    std::map<std::string, double> rate;    // wall clock: operations per second, all threads
    std::map<std::string, double> cpu_ns;  // CPU time per operation (all threads' CPU time / operations)
    std::map<std::string, bool> medians;
};

void print_summary(const std::map<std::string, double>& rate, const std::map<std::string, double>& cpu_ns)
{
    auto get = [&](const std::string& name) {
        auto it = rate.find(name);
        return it == rate.end() ? 0.0 : it->second;
    };
    auto cpu = [&](const std::string& name) {
        auto it = cpu_ns.find(name);
        return it == cpu_ns.end() ? 0.0 : it->second;
    };
    std::printf("\nsummary (%u CPUs online): socket()+close() per second per thread, scaling = N threads' total / "
                "1 thread's\n",
                std::thread::hardware_concurrency());
    for (const char* base : {"model/lock::none/independent", "model/lock::smp/independent", "model/lock::smp/separate", "model/lock::smp/shared", "kernel/separate",
                             "kernel/shared"}) {
        const double one = get(std::string(base) + "/real_time/threads:1");
        for (int n = 1; n <= max_threads; n *= 2) {
            const double total = get(std::string(base) + "/real_time/threads:" + std::to_string(n));
            if (total <= 0)
                continue;
            // On a machine whose CPUs other work also uses, wall-clock scaling
            // is capped by what the scheduler gives; the CPU-time figure is
            // what N dedicated CPUs would do: N x (CPU ns per op, 1 thread) /
            // (CPU ns per op, N threads), contention included.
            const double c1 = cpu(std::string(base) + "/real_time/threads:1");
            const double cn = cpu(std::string(base) + "/real_time/threads:" + std::to_string(n));
            std::printf("  %-26s threads:%d  %12.0f /s per thread  wall-clock scaling %.2fx  |  %7.1f CPU ns/op  "
                        "CPU-time scaling %.2fx\n",
                        base, n, total / n, one > 0 ? total / one : 0.0, cn, cn > 0 ? n * c1 / cn : 0.0);
        }
    }
    // The model's own contention: its scaling against the machine's ceiling in the same run.
    for (const char* base : {"model/lock::smp/separate", "model/lock::smp/shared"}) {
        const double one = get(std::string(base) + "/real_time/threads:1");
        const double ind1 = get("model/lock::smp/independent/real_time/threads:1");
        for (int n = 2; n <= max_threads; n *= 2) {
            const std::string suffix = "/real_time/threads:" + std::to_string(n);
            const double total = get(base + suffix), ind = get("model/lock::smp/independent" + suffix);
            if (one > 0 && total > 0 && ind1 > 0 && ind > 0)
                std::printf("  %-26s threads:%d  scaling %.2fx against %.2fx with nothing shared: %.0f%% of the "
                            "machine's ceiling\n",
                            base, n, total / one, ind / ind1, 100.0 * (total / one) / (ind / ind1));
        }
    }
    const double none1 = get("model/lock::none/real_time/threads:1");
    const double smp1 = get("model/lock::smp/separate/real_time/threads:1");
    if (none1 > 0 && smp1 > 0)
        std::printf("  lock::smp single-thread cost / lock::none: %.2fx wall clock (%.1f ns vs %.1f ns), %.2fx CPU "
                    "time (%.1f ns vs %.1f ns)\n",
                    none1 / smp1, 1e9 / smp1, 1e9 / none1,
                    cpu("model/lock::smp/separate/real_time/threads:1") / cpu("model/lock::none/real_time/threads:1"),
                    cpu("model/lock::smp/separate/real_time/threads:1"), cpu("model/lock::none/real_time/threads:1"));
}

}  // namespace

int main(int argc, char** argv)
{
    // The defaults go first: a flag given on the command line comes later and wins.
    std::vector<char*> args{argv[0]};
    std::string defaults[] = {"--benchmark_repetitions=7", "--benchmark_min_time=0.2",
                              "--benchmark_report_aggregates_only=true",
                              "--benchmark_enable_random_interleaving=true"};
    for (auto& d : defaults)
        args.push_back(d.data());
    args.insert(args.end(), argv + 1, argv + argc);
    int n = static_cast<int>(args.size());
    args.push_back(nullptr);
    argv = args.data();
    argc = n;
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 1;
    summary_reporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    print_summary(reporter.rate, reporter.cpu_ns);
    benchmark::Shutdown();
    return 0;
}
