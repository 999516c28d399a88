// IP protocol numbers (include/uapi/linux/in.h) the inet family tables name.
#pragma once

namespace sockmodel {

inline constexpr int ipproto_ip = 0;
inline constexpr int ipproto_icmp = 1;
inline constexpr int ipproto_tcp = 6;
inline constexpr int ipproto_udp = 17;
inline constexpr int ipproto_ipv6 = 41;
inline constexpr int ipproto_icmpv6 = 58;
inline constexpr int ipproto_sctp = 132;
inline constexpr int ipproto_udplite = 136;
inline constexpr int ipproto_raw = 255;
inline constexpr int ipproto_smc = 256;
inline constexpr int ipproto_mptcp = 262;
inline constexpr int ipproto_max = 263;

}  // namespace sockmodel
