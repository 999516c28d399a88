// -- PROGRAM: the model kernels of one traced descriptor table, behind one
// interface: the host ABI's (traced or not, --quiet) and, for --what-if
// abi=ARCH, one per other ABI asked for, each mirroring the same fds. The
// kernels are instantiated in models.cpp only.
#pragma once

#include "model_run.hpp"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sockmodel_trace {

// The model of one table.
struct model {
    virtual ~model() = default;
    virtual bool open_at(int fd) = 0;
    virtual void close(int fd) = 0;
    // socket()/socketpair() with the host's numbers. A model of another ABI
    // translates them into its own (whatif_abi.hpp), makes the call, and
    // gives the answer back in the host's numbers, with its own in `abi`.
    virtual task_call_result call(const call_view& v, bool pair, int family, int type, int protocol,
                                  const model_tweak* tweak) = 0;
    virtual bool registered(int family) const = 0;
    // The model of the same table with ABI `name` (--what-if abi=), or null.
    virtual model* abi(std::string_view name) = 0;
};

// The host's model (traced: events for the tree, JSON and the what-if
// reasons) and one traced model for each name in `abis` (as abi.hpp names
// them; "host" is not one: whatif.cpp puts the host ABI's own name there).
std::unique_ptr<model> make_model(bool traced, const std::vector<std::string>& abis);

}  // namespace sockmodel_trace
