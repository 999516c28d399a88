#include <sockmodel/sockmodel.hpp>

int main() { return sockmodel::version::major == 0 ? 0 : 1; }
