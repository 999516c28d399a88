// fs/file_table.c: the filp cache and files_stat (nr_files against file-max),
// alloc_empty_file, alloc_file_pseudo, and fput → __fput.
#pragma once

#include <sockmodel/arch/abi.hpp>
#include <sockmodel/fault/fault.hpp>
#include <sockmodel/fs/inode.hpp>
#include <sockmodel/kernel/context.hpp>
#include <sockmodel/kernel/cred.hpp>
#include <sockmodel/kernel/task.hpp>
#include <sockmodel/linux/err.hpp>
#include <sockmodel/linux/fs.hpp>
#include <sockmodel/mm/slab.hpp>
#include <sockmodel/trace/decode.hpp>
#include <sockmodel/trace/trace.hpp>
#include <sockmodel/uapi/errno.hpp>

#include <algorithm>
#include <atomic>
#include <new>
#include <string>
#include <string_view>

namespace sockmodel {

inline constexpr unsigned sysctl_nr_open_default = 1024 * 1024;

// The file subsystem's state: filp_cachep, files_stat, and the two sysctls
// that bound descriptors (fs.file-max here, fs.nr_open of fs/file.c beside it).
class file_table {
public:
    // get_empty_filp's accounting: a file from the cache, counted.
    file* alloc()
    {
        file* f = filp_.alloc();
        if (f)
            ++nr_files_;
        return f;
    }

    void free(file* f)
    {
        --nr_files_;
        filp_.free(f);
    }

    long nr_files() const { return nr_files_; }
    long max_files() const { return max_files_; }
    unsigned nr_open() const { return nr_open_; }
    // The sysctls are written whole (WRITE_ONCE) and, under lock::smp, read
    // with READ_ONCE (get_max_files(k), get_nr_open(k)): safe while other
    // threads are in system calls.
    void set_max_files(long n) { std::atomic_ref<long>(max_files_).store(n, std::memory_order_relaxed); }  // fs.file-max
    void set_nr_open(unsigned n) { std::atomic_ref<unsigned>(nr_open_).store(n, std::memory_order_relaxed); }  // fs.nr_open
    long max_files_once() const
    {
        return std::atomic_ref<long>(const_cast<long&>(max_files_)).load(std::memory_order_relaxed);
    }
    unsigned nr_open_once() const
    {
        return std::atomic_ref<unsigned>(const_cast<unsigned&>(nr_open_)).load(std::memory_order_relaxed);
    }

    object_cache<file>& cache() { return filp_; }
    const object_cache<file>& cache() const { return filp_; }

private:
    object_cache<file> filp_{"filp"};
    long nr_files_ = 0;
    long max_files_ = 1L << 24;  // the kernel sizes it from memory
    unsigned nr_open_ = sysctl_nr_open_default;
};

// get_max_files() and sysctl_nr_open as the path reads them: READ_ONCE under lock::smp.
template <class K>
inline long get_max_files(const K& k)
{
    if constexpr (K::locked)
        return k.files.max_files_once();
    else
        return k.files.max_files();
}
template <class K>
inline unsigned get_nr_open(const K& k)
{
    if constexpr (K::locked)
        return k.files.nr_open_once();
    else
        return k.files.nr_open();
}

// alloc_empty_file: the file-max limit (CAP_SYS_ADMIN exempt), then the filp cache.
template <class K>
inline err_ptr<file> alloc_empty_file(context<K>& cx, int flags)
{
    using abi = typename K::abi;
    auto t = trace::enter(cx, "alloc_empty_file");
    if constexpr (trace::on<decltype(cx)>) t.describe([&] { return trace::decode_open_flags<abi>(flags); });
    file_table& files = cx.k.files;
    long nr_files = 0;
    bool over = false;
    if constexpr (K::locked) {
        // get_nr_files: percpu_counter_read_positive (the shared count, which
        // other CPUs' unfolded frees can leave below zero, read as 0); at the
        // limit, the exact percpu_counter_sum_positive decides.
        const long max_files = get_max_files(cx.k);
        nr_files = std::max(cx.k.smp.nr_files_approx(), 0L);
        if (nr_files >= max_files && !capable(cx.current.cred, capability::sys_admin))
            over = std::max(cx.k.smp.nr_files_sum(), 0L) >= max_files;
    } else {
        nr_files = files.nr_files();
    }
    if (should_fail(cx, fault_point::file_max) ||
        (K::locked ? over : (nr_files >= files.max_files() && !capable(cx.current.cred, capability::sys_admin)))) {
        if constexpr (trace::on<decltype(cx)>) trace::note(cx, "alloc_empty_file", [] { return std::string("VFS: file-max limit reached"); });
        t.ret(-ENFILE);
        return ERR_PTR<file>(-ENFILE);
    }
    file* f = nullptr;
    if constexpr (K::locked) {
        if (!should_fail(cx, fault_point::filp_cache))
            if (void* p = cx.k.smp.cache_alloc(*cx.current.cpu, pcpu_cache::filp, files.cache().raw())) {
                f = ::new (p) file();
                cx.k.smp.nr_files_add(*cx.current.cpu, 1);
            }
    } else {
        f = should_fail(cx, fault_point::filp_cache) ? nullptr : files.alloc();
    }
    if (!f) {
        t.ret(-ENOMEM);
        return ERR_PTR<file>(-ENOMEM);
    }
    f->f_flags = static_cast<unsigned>(flags);
    t.ret_ptr(f);
    return f;
}

// alloc_file_pseudo: d_alloc_pseudo + d_instantiate (the dentry takes over the
// inode reference), then the file.
template <class K>
inline err_ptr<file> alloc_file_pseudo(context<K>& cx, inode& i, std::string_view name, int flags,
                                const file_operations* fops)
{
    auto t = trace::enter(cx, "alloc_file_pseudo");
    if constexpr (trace::on<decltype(cx)>) t.describe([&] { return "\"" + std::string(name) + "\""; });
    if (should_fail(cx, fault_point::d_alloc_pseudo)) {  // no dentry: nothing taken yet
        t.ret(-ENOMEM);
        return ERR_PTR<file>(-ENOMEM);
    }
    err_ptr<file> f = alloc_empty_file(cx, flags);
    if (f.IS_ERR()) {
        if constexpr (trace::on<decltype(cx)>) trace::note(cx, "alloc_file_pseudo", [] {
            return std::string("alloc_file failed: ihold(inode) + path_put: the dentry goes, the inode stays with "
                               "its owner");
        });
        t.ret(f.PTR_ERR());
        return f;  // ihold + path_put: the inode stays with its owner
    }
    f.ptr->f_inode = &i;
    f.ptr->f_op = fops;
    f.ptr->f_dentry_name = name;
    f.ptr->f_mode = FMODE_READ | FMODE_WRITE | FMODE_LSEEK | FMODE_PREAD | FMODE_PWRITE | FMODE_OPENED;
    t.ret_ptr(f.ptr);
    return f;
}

// __fput: the file's release, the dentry's inode reference, the file itself.
template <class K>
inline void __fput(context<K>& cx, file* f)
{
    auto t = trace::enter(cx, "__fput");
    f->f_op->release(&cx, *f->f_inode, *f);
    iput(cx, *f->f_inode);  // dput: the pseudo dentry held the inode
    if constexpr (K::locked) {
        f->~file();
        cx.k.smp.cache_free(*cx.current.cpu, pcpu_cache::filp, cx.k.files.cache().raw(), f);
        cx.k.smp.nr_files_add(*cx.current.cpu, -1);
    } else {
        cx.k.files.free(f);
    }
}

// fput: the last reference runs __fput (synchronously, as fput_close_sync in close(2)).
template <class K>
inline void fput(context<K>& cx, file* f)
{
    if constexpr (K::locked) {
        // atomic_long_dec_and_test(&file->f_count): dup and close race on it.
        if (std::atomic_ref<decltype(f->f_count)>(f->f_count).fetch_sub(1, std::memory_order_acq_rel) == 1)
            __fput(cx, f);
    } else if (--f->f_count == 0) {
        __fput(cx, f);
    }
}

}  // namespace sockmodel
