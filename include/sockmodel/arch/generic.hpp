// x86, arm64, riscv, s390, powerpc, loongarch, …: include/uapi/asm-generic/fcntl.h
// and the default sock_type of include/linux/net.h.
#pragma once

#include <sockmodel/arch/abi.hpp>

namespace sockmodel::arch {

struct generic : common_abi {
    static constexpr std::string_view name = "generic";
    static constexpr int sock_stream = 1;
    static constexpr int sock_dgram = 2;
    static constexpr int o_nonblock = 00004000;
    static constexpr int o_cloexec = 02000000;
    static constexpr int sock_nonblock = o_nonblock;
    static constexpr int sock_cloexec = o_cloexec;
    // include/uapi/asm-generic/socket.h, asm-generic/resource.h
    static constexpr int sol_socket = 1;
    static constexpr int so_type = 3;
    static constexpr int so_protocol = 38;
    static constexpr int so_domain = 39;
    static constexpr int rlimit_nofile = 7;
    // Every SOL_SOCKET option getsockopt answers (asm-generic/socket.h, 64-bit time_t).
    static constexpr sockopt_number sockopts[] = {
        {so::debug, 1}, {so::reuseaddr, 2}, {so::type, 3}, {so::error, 4}, {so::dontroute, 5},
        {so::broadcast, 6}, {so::sndbuf, 7}, {so::rcvbuf, 8}, {so::keepalive, 9}, {so::oobinline, 10},
        {so::no_check, 11}, {so::priority, 12}, {so::linger, 13}, {so::bsdcompat, 14}, {so::reuseport, 15},
        {so::passcred, 16}, {so::peercred, 17}, {so::rcvlowat, 18}, {so::sndlowat, 19}, {so::rcvtimeo_old, 20},
        {so::sndtimeo_old, 21}, {so::bindtodevice, 25}, {so::get_filter, 26}, {so::peername, 28},
        {so::timestamp_old, 29}, {so::acceptconn, 30}, {so::peersec, 31}, {so::passsec, 34},
        {so::timestampns_old, 35}, {so::mark, 36}, {so::timestamping_old, 37}, {so::protocol, 38},
        {so::domain, 39}, {so::rxq_ovfl, 40}, {so::wifi_status, 41}, {so::peek_off, 42}, {so::nofcs, 43},
        {so::lock_filter, 44}, {so::select_err_queue, 45}, {so::busy_poll, 46}, {so::max_pacing_rate, 47},
        {so::bpf_extensions, 48}, {so::incoming_cpu, 49}, {so::meminfo, 55}, {so::incoming_napi_id, 56},
        {so::cookie, 57}, {so::peergroups, 59}, {so::zerocopy, 60}, {so::txtime, 61}, {so::bindtoifindex, 62},
        {so::timestamp_new, 63}, {so::timestampns_new, 64}, {so::timestamping_new, 65}, {so::rcvtimeo_new, 66},
        {so::sndtimeo_new, 67}, {so::prefer_busy_poll, 69}, {so::netns_cookie, 71}, {so::buf_lock, 72},
        {so::reserve_mem, 73}, {so::txrehash, 74}, {so::rcvmark, 75}, {so::passpidfd, 76}, {so::peerpidfd, 77},
        {so::rcvpriority, 82}, {so::passrights, 83},
    };
};
static_assert(checked_abi<generic>::value);

}  // namespace sockmodel::arch
