// Address families (include/linux/socket.h). The same on every architecture.
// Lower-case names: libc defines AF_* as macros, which would rewrite ours.
#pragma once

namespace sockmodel {

inline constexpr int af_unspec = 0;
inline constexpr int af_unix = 1;
inline constexpr int af_inet = 2;
inline constexpr int af_inet6 = 10;
inline constexpr int af_netlink = 16;
inline constexpr int af_packet = 17;
inline constexpr int af_vsock = 40;
inline constexpr int af_xdp = 44;
inline constexpr int af_mctp = 45;

// pf_family_names[] of net/socket.c: every family number below AF_MAX on 6.18.
inline constexpr const char* family_names[] = {
    "AF_UNSPEC", "AF_UNIX", "AF_INET", "AF_AX25", "AF_IPX", "AF_APPLETALK",
    "AF_NETROM", "AF_BRIDGE", "AF_ATMPVC", "AF_X25", "AF_INET6", "AF_ROSE",
    "AF_DECnet", "AF_NETBEUI", "AF_SECURITY", "AF_KEY", "AF_NETLINK", "AF_PACKET",
    "AF_ASH", "AF_ECONET", "AF_ATMSVC", "AF_RDS", "AF_SNA", "AF_IRDA",
    "AF_PPPOX", "AF_WANPIPE", "AF_LLC", "AF_IB", "AF_MPLS", "AF_CAN",
    "AF_TIPC", "AF_BLUETOOTH", "AF_IUCV", "AF_RXRPC", "AF_ISDN", "AF_PHONET",
    "AF_IEEE802154", "AF_CAIF", "AF_ALG", "AF_NFC", "AF_VSOCK", "AF_KCM",
    "AF_QIPCRTR", "AF_SMC", "AF_XDP", "AF_MCTP",
};
inline constexpr int family_names_count = sizeof(family_names) / sizeof(family_names[0]);

}  // namespace sockmodel
