// The model kernels of a traced table (models.hpp) and ARCH's errno numbers
// (whatif_abi.hpp): every kernel instantiation of -- PROGRAM is here.
#include "models.hpp"

#include "abi.hpp"
#include "whatif_abi.hpp"

#include <sockmodel/uapi/errno.hpp>

#include <cerrno>
#include <type_traits>
#include <utility>

namespace sockmodel_trace {

namespace {

namespace sm = sockmodel;
using host_abi = sm::arch::host;

// The errnos the model returns (include/sockmodel) whose numbers are not
// the same on every ABI: asm-generic/errno.h, arch/{mips,alpha,parisc,sparc}/
// include/uapi/asm/errno.h. Every other errno the model returns is one of
// asm-generic/errno-base.h's (1 to 34), which every ABI includes; alpha
// alone moves one of them (EAGAIN is 35 there, 11 its EDEADLK).
struct errno_numbers {
    std::string_view name;
    int generic, mips, alpha, parisc, sparc;
};
constexpr errno_numbers moved_errnos[] = {
    {"EAGAIN", 11, 11, 35, 11, 11},
    {"ENODATA", 61, 61, 86, 51, 111},
    {"ENOTSOCK", 88, 95, 38, 216, 38},
    {"EPROTOTYPE", 91, 98, 41, 219, 41},
    {"ENOPROTOOPT", 92, 99, 42, 220, 42},
    {"EPROTONOSUPPORT", 93, 120, 43, 221, 43},
    {"ESOCKTNOSUPPORT", 94, 121, 44, 222, 44},
    {"EOPNOTSUPP", 95, 122, 45, 223, 45},
    {"EPFNOSUPPORT", 96, 123, 46, 224, 46},
    {"EAFNOSUPPORT", 97, 124, 47, 225, 47},
    {"ENOBUFS", 105, 132, 55, 233, 55},
    {"ENOTCONN", 107, 134, 57, 235, 57},
    {"ENOSYS", 38, 89, 78, 251, 90},
};

// A socket()/socketpair() asked of the table's model of ABI A with the
// host's numbers (whatif_abi.hpp): translated there and back.
template <class A>
class abi_model final : public model {
public:
    bool open_at(int fd) override { return m_.open_at(fd); }
    void close(int fd) override { m_.close(fd); }
    bool registered(int family) const override { return m_.registered(family); }
    model* abi(std::string_view) override { return nullptr; }

    task_call_result call(const call_view& v, bool pair, int family, int type, int protocol,
                          const model_tweak* tweak) override
    {
        const int type_there = type_to_abi<A>(type);
        // Deny rules name types with the host's numbers.
        model_tweak there;
        if (tweak) {
            there = *tweak;
            for (deny_rule& r : there.rules)
                if (r.type)
                    r.type = type_to_abi<A>(*r.type) & A::sock_type_mask;
        }
        task_call_result r = m_.call(v, pair, family, type_there, protocol, tweak ? &there : nullptr);
        if (r.not_modelled)
            return r;
        r.abi = abi_numbers{std::string(A::name), family, type_there, protocol, r.ret, r.fds};
        for (fd_attrs& f : r.fds) {
            f.fl_flags = fl_from_abi<A>(f.fl_flags);
            f.so_type = so_type_from_abi<A>(f.so_type);
        }
        return r;
    }

private:
    table_model<A, true> m_;
};

// The host's model, with the other ABIs' beside it: each fd opened or
// closed in all of them.
template <bool Traced>
class host_model final : public model {
public:
    explicit host_model(const std::vector<std::string>& abis)
    {
        for (const std::string& name : abis) {
            bool made = false;
            for_each_abi([&]<class A>() {
                if (!made && A::name == name) {
                    others_.emplace_back(name, std::make_unique<abi_model<A>>());
                    made = true;
                }
            });
        }
    }

    bool open_at(int fd) override
    {
        bool ok = m_.open_at(fd);
        for (auto& [name, m] : others_)
            ok = m->open_at(fd) && ok;
        return ok;
    }
    void close(int fd) override
    {
        m_.close(fd);
        for (auto& [name, m] : others_)
            m->close(fd);
    }
    task_call_result call(const call_view& v, bool pair, int family, int type, int protocol,
                          const model_tweak* tweak) override
    {
        return m_.call(v, pair, family, type, protocol, tweak);
    }
    bool registered(int family) const override { return m_.registered(family); }
    model* abi(std::string_view name) override
    {
        for (auto& [n, m] : others_)
            if (n == name)
                return m.get();
        return nullptr;
    }

private:
    table_model<host_abi, Traced> m_;
    std::vector<std::pair<std::string, std::unique_ptr<model>>> others_;
};

}  // namespace

std::unique_ptr<model> make_model(bool traced, const std::vector<std::string>& abis)
{
    if (traced)
        return std::make_unique<host_model<true>>(abis);
    return std::make_unique<host_model<false>>(abis);
}

int abi_errno_number(std::string_view abi, int err)
{
    const int e = err < 0 ? -err : err;
    const std::string_view name = sm::errno_name(e);
    for (const errno_numbers& n : moved_errnos)
        if (n.name == name)
            return abi == "mips" ? n.mips
                   : abi == "alpha" ? n.alpha
                   : abi == "parisc" ? n.parisc
                   : abi == "sparc" ? n.sparc
                                    : n.generic;
    if (e >= 1 && e <= 34 && !name.empty())
        return e;  // asm-generic/errno-base.h
    return -1;
}

// The generic column is this machine's <errno.h> where this machine is generic.
static_assert(!std::is_same_v<host_abi, sm::arch::generic> ||
              (EAGAIN == 11 && ENODATA == 61 && ENOTSOCK == 88 && EPROTOTYPE == 91 && ENOPROTOOPT == 92 &&
               EPROTONOSUPPORT == 93 && ESOCKTNOSUPPORT == 94 && EOPNOTSUPP == 95 && EPFNOSUPPORT == 96 &&
               EAFNOSUPPORT == 97 && ENOBUFS == 105 && ENOTCONN == 107 && ENOSYS == 38 && EPERM == 1 &&
               EACCES == 13 && EINVAL == 22 && ENFILE == 23 && EMFILE == 24 && ENOMEM == 12));

}  // namespace sockmodel_trace
