// A task as the socket path sees it (include/linux/sched.h): credentials, the
// RLIMIT_NOFILE limit, its files_struct (shared by threads) and its network
// namespace (nsproxy->net_ns).
#pragma once

#include <sockmodel/fs/file.hpp>
#include <sockmodel/kernel/cred.hpp>

#include <memory>

namespace sockmodel {

struct net;

struct resource_limit {  // struct rlimit; renamed: <sys/resource.h> has one
    unsigned long rlim_cur;
    unsigned long rlim_max;
};

struct task_struct {
    struct cred cred;
    int pid = 0;
    resource_limit rlimit_nofile{1024, 4096};  // INR_OPEN_CUR / INR_OPEN_MAX
    std::shared_ptr<files_struct> files = std::make_shared<files_struct>();
    struct net* net_ns = nullptr;
};

}  // namespace sockmodel
