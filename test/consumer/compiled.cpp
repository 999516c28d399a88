// A program of the compiled mode (sockmodel::default_kernel): this TU sees
// `extern template class kernel<default_config>` and compiles none of
// kernel<>'s members; the linked library provides them.
#include <sockmodel/sockmodel.hpp>

#include <netinet/in.h>
#include <sys/socket.h>

#if !SOCKMODEL_EXTERN_DEFAULT_KERNEL
#error "linking sockmodel::default_kernel should define SOCKMODEL_EXTERN_DEFAULT_KERNEL=1"
#endif

int main()
{
    sockmodel::kernel<> k;
    auto& t = k.spawn();
    const int fd = k.socket(t, AF_INET, SOCK_STREAM, 0);
    const int bad = k.socket(t, AF_INET, SOCK_STREAM, IPPROTO_UDP);  // inet_create: UDP is no stream protocol
    return fd == 0 && bad == -EPROTONOSUPPORT && k.close(t, fd) == 0 ? 0 : 1;
}
