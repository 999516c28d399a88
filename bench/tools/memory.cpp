// Memory and the heap, in a binary of its own because it replaces the global
// operator new and delete (every form: plain, array, nothrow, sized, aligned)
// to count heap allocations.
//
//   bytes     per open socket, for each family/type: the model's caches' own
//             accounting (object_size() of sock_inode_cache, filp and the
//             proto's slab) plus the descriptor table's share, beside the live
//             kernel's object sizes from /sys/kernel/slab (when readable)
//   heap      heap allocations per socket()+close() with warm caches
//   million   one million open TCP sockets in a forked child: RSS and live
//             heap bytes before and after, per socket
//
// Output: lines of "key value..." that bench/run.sh reads.
#include "../common.hpp"

#include <sockmodel/sockmodel.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <new>
#include <string>

#include <malloc.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

// --- counting operator new/delete ----------------------------------------------
namespace {
std::size_t g_news = 0;       // allocations made
std::size_t g_live_bytes = 0; // usable bytes currently allocated through operator new

void* counted(std::size_t n, std::size_t align)
{
    if (n == 0)
        n = 1;
    void* p = align > alignof(std::max_align_t) ? std::aligned_alloc(align, (n + align - 1) / align * align)
                                                : std::malloc(n);
    if (p) {
        ++g_news;
        g_live_bytes += malloc_usable_size(p);
    }
    return p;
}
void uncounted(void* p) noexcept
{
    if (p) {
        g_live_bytes -= malloc_usable_size(p);
        std::free(p);
    }
}
void* counted_or_throw(std::size_t n, std::size_t align)
{
    void* p = counted(n, align);
    if (!p)
        throw std::bad_alloc();
    return p;
}
}  // namespace

void* operator new(std::size_t n) { return counted_or_throw(n, 0); }
void* operator new[](std::size_t n) { return counted_or_throw(n, 0); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return counted(n, 0); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return counted(n, 0); }
void* operator new(std::size_t n, std::align_val_t a) { return counted_or_throw(n, static_cast<std::size_t>(a)); }
void* operator new[](std::size_t n, std::align_val_t a) { return counted_or_throw(n, static_cast<std::size_t>(a)); }
void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept
{
    return counted(n, static_cast<std::size_t>(a));
}
void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept
{
    return counted(n, static_cast<std::size_t>(a));
}
void operator delete(void* p) noexcept { uncounted(p); }
void operator delete[](void* p) noexcept { uncounted(p); }
void operator delete(void* p, std::size_t) noexcept { uncounted(p); }
void operator delete[](void* p, std::size_t) noexcept { uncounted(p); }
void operator delete(void* p, std::align_val_t) noexcept { uncounted(p); }
void operator delete[](void* p, std::align_val_t) noexcept { uncounted(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { uncounted(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { uncounted(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { uncounted(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { uncounted(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { uncounted(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { uncounted(p); }

namespace {

using K = sockmodel::kernel<>;

// One fd's share of the descriptor table: its file pointer, its bits in
// open_fds and close_on_exec, and 1/64 of a bit in full_fds_bits.
constexpr double fd_share = sizeof(sockmodel::file*) + 2.0 / 8 + 1.0 / 64 / 8;

void open_ping(K& k)
{
    k.init_net.sysctl.ping_group_range.low = 0;
    k.init_net.sysctl.ping_group_range.high = 2147483647;
}

// The live kernel's slab for each row (kmalloc: the kernel's proto has no slab of its own).
const char* kernel_slab(const bench::socket_case& c)
{
    const std::string n = c.name;
    if (n == "AF_UNIX/stream") return "UNIX-STREAM";
    if (n.rfind("AF_UNIX", 0) == 0) return "UNIX";
    if (n == "AF_INET/tcp") return "TCP";
    if (n == "AF_INET/udp") return "UDP";
    if (n == "AF_INET/udplite") return "UDP-Lite";
    if (n == "AF_INET/mptcp") return "MPTCP";
    if (n == "AF_INET/ping") return "PING";
    if (n == "AF_INET/raw") return "RAW";
    if (n == "AF_INET6/tcp") return "TCPv6";
    if (n == "AF_INET6/udp") return "UDPv6";
    if (n == "AF_INET6/udplite") return "UDPLITEv6";
    if (n == "AF_INET6/mptcp") return "MPTCPv6";
    if (n == "AF_INET6/ping") return "PINGv6";
    if (n == "AF_INET6/raw") return "RAWv6";
    if (n == "AF_VSOCK/stream") return "AF_VSOCK";
    return "kmalloc";
}

long sys_slab_size(const std::string& cache)
{
    std::ifstream f("/sys/kernel/slab/" + cache + "/slab_size");
    long v = -1;
    if (f >> v)
        return v;
    return -1;
}

long rss_bytes()
{
    std::ifstream f("/proc/self/statm");
    long size = 0, resident = 0;
    f >> size >> resident;
    return resident * ::sysconf(_SC_PAGESIZE);
}

void bytes_and_heap()
{
    const long k_inode = sys_slab_size("sock_inode_cache"), k_filp = sys_slab_size("filp");
    for (const auto& c : bench::socket_cases) {
        K k;
        if (c.ping)
            open_ping(k);
        auto& t = k.spawn();
        const int fd = k.socket(t, c.family, c.type, c.protocol);
        if (fd < 0) {
            std::printf("bytes %s error %d\n", c.name, fd);
            continue;
        }
        std::size_t sk = 0;
        std::string slab = "?";
        for (const auto& p : k.protos.all())
            if (p->slab.active_objs() == 1) {
                sk = p->slab.object_size();
                slab = std::string(p->slab.name());
            }
        const std::size_t inode = k.sockfs.cache().object_size();
        const std::size_t filp = k.files.cache().raw().object_size();
        const double total = static_cast<double>(inode + filp + sk) + fd_share;
        const char* ks = kernel_slab(c);
        const long ksk = std::string(ks) == "kmalloc" ? -1 : sys_slab_size(ks);
        const double ktotal = ksk > 0 && k_inode > 0 && k_filp > 0 ? static_cast<double>(ksk + k_inode + k_filp) + fd_share : -1;
        // bytes NAME model_total inode filp sk sk_slab kernel_total kernel_inode kernel_filp kernel_sk kernel_slab
        std::printf("bytes %s %.2f %zu %zu %zu %s %.2f %ld %ld %ld %s\n", c.name, total, inode, filp, sk,
                    slab.c_str(), ktotal, k_inode, k_filp, ksk, ks);
        k.close(t, fd);

        for (int i = 0; i < 1000; ++i)  // warm every cache
            k.close(t, k.socket(t, c.family, c.type, c.protocol));
        constexpr int n = 100000;
        const std::size_t before = g_news;
        for (int i = 0; i < n; ++i)
            k.close(t, k.socket(t, c.family, c.type, c.protocol));
        std::printf("heap %s %.4f\n", c.name, static_cast<double>(g_news - before) / n);
    }
}

// A million open TCP sockets, in a child so its memory is its own.
void million()
{
    constexpr int n = 1000000;
    const pid_t pid = ::fork();
    if (pid == 0) {
        const long rss0 = rss_bytes();
        const std::size_t heap0 = g_live_bytes;
        {
            K k;
            auto& t = k.spawn();
            const sockmodel::resource_limit r{sockmodel::sysctl_nr_open_default, sockmodel::sysctl_nr_open_default};
            k.setrlimit(t, RLIMIT_NOFILE, &r);
            const long rss1 = rss_bytes();
            const std::size_t heap1 = g_live_bytes;
            for (int i = 0; i < n; ++i)
                if (k.socket(t, AF_INET, SOCK_STREAM, 0) < 0) {
                    std::printf("million error at %d\n", i);
                    std::fflush(stdout);
                    ::_exit(1);
                }
            const long rss2 = rss_bytes();
            const std::size_t heap2 = g_live_bytes;
            // million SOCKETS RSS_GROWTH HEAP_GROWTH RSS_PER_SOCKET HEAP_PER_SOCKET (the empty kernel excluded)
            std::printf("million %d %ld %zu %.1f %.1f\n", n, rss2 - rss1, heap2 - heap1,
                        static_cast<double>(rss2 - rss1) / n, static_cast<double>(heap2 - heap1) / n);
            std::printf("million_base %ld %zu\n", rss1 - rss0, heap1 - heap0);
            std::fflush(stdout);
        }
        ::_exit(0);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
}

}  // namespace

int main()
{
    bytes_and_heap();
    std::fflush(stdout);
    million();
    return 0;
}
