// kernel<> takes default_families, which <sockmodel/kernel.hpp> alone does not define.
// expect-error: kernel<Config>: the configuration names no families and <sockmodel/default_families.hpp> is not included
#include <sockmodel/kernel.hpp>
#ifdef SOCKMODEL_COMPILE_FAIL_TWIN
#include <sockmodel/default_families.hpp>
#endif

int main()
{
    sockmodel::kernel<> k;
    return 0;
}
