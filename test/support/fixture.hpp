// A model kernel for one test, checked on the way out: once every task has
// exited, every counter (objects per cache, module references, netns
// references, sockets in use per protocol, open fds) is back to zero.
#pragma once

#include <sockmodel/sockmodel.hpp>

#include <doctest/doctest.h>

#include <string>

namespace doctest {
template <>
struct StringMaker<sockmodel::kernel_counters> {
    static String convert(const sockmodel::kernel_counters& c)
    {
        return ("{sockets " + std::to_string(c.sockets) + ", files " + std::to_string(c.files) + ", socks " +
                std::to_string(c.socks) + ", nr_files " + std::to_string(c.nr_files) + ", module_refs " +
                std::to_string(c.module_refs) + ", net_refs " + std::to_string(c.net_refs) + ", sock_inuse " +
                std::to_string(c.sock_inuse) + ", prot_inuse " + std::to_string(c.prot_inuse) +
                ", family_state " + std::to_string(c.family_state) + ", open_fds " +
                std::to_string(c.open_fds) + "}")
            .c_str();
    }
};
}  // namespace doctest

template <class Config = sockmodel::default_config>
struct model_fixture {
    sockmodel::kernel<Config> k;
    sockmodel::task_struct& t = k.spawn();

    model_fixture() = default;
    model_fixture(const model_fixture&) = delete;
    model_fixture& operator=(const model_fixture&) = delete;
    ~model_fixture()
    {
        k.exit_all();
        CHECK(k.counters() == sockmodel::kernel_counters{});
    }
};
