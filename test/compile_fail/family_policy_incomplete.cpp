// A family policy without a create function.
// expect-error: a family policy must provide family, owner, protos, choose and create
#include <sockmodel/kernel.hpp>
struct af_half {
    static constexpr int family = 30;
    static constexpr const sockmodel::module* owner = nullptr;
};
struct cfg : sockmodel::default_config {
    using families = sockmodel::family_list<af_half>;
};
int main() { sockmodel::kernel<cfg> k; return 0; }
