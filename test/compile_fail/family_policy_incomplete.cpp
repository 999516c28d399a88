// A family policy without construct: its create could decide but build nothing.
// expect-error: not a protocol family: sock_register needs a net_proto_family (include/linux/net.h)
#include <sockmodel/kernel.hpp>
#include <sockmodel/net/ipv4/af_inet.hpp>

struct af_half {
    static constexpr int family = 30;
    static constexpr const sockmodel::module* owner = nullptr;
    static constexpr std::string_view create_name = "half_create";
    template <class K>
    using protosw = sockmodel::inetsw<K>;
    template <class K>
    static constexpr sockmodel::create_choice choose(const sockmodel::create_context&, int, int)
    {
        return sockmodel::create_choice::fail(-EAFNOSUPPORT, 1);
    }
#ifdef SOCKMODEL_COMPILE_FAIL_TWIN
    template <class K>
    static int construct(sockmodel::context<K>&, sockmodel::net&, sockmodel::socket&,
                         const sockmodel::create_choice&, int)
    {
        return -EAFNOSUPPORT;
    }
#endif
};
using cfg = sockmodel::config<sockmodel::opt::families<af_half>>;

int main()
{
    sockmodel::kernel<cfg> k;
    return 0;
}
