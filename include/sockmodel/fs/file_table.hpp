// fs/file_table.c: the filp cache and files_stat (nr_files against file-max),
// alloc_empty_file, alloc_file_pseudo, and fput → __fput.
#pragma once

#include <sockmodel/arch/abi.hpp>
#include <sockmodel/fault/fault.hpp>
#include <sockmodel/fs/inode.hpp>
#include <sockmodel/kernel/context.hpp>
#include <sockmodel/kernel/cred.hpp>
#include <sockmodel/kernel/task.hpp>
#include <sockmodel/lib/kstring.hpp>
#include <sockmodel/linux/err.hpp>
#include <sockmodel/linux/fs.hpp>
#include <sockmodel/lock/atomic.hpp>
#include <sockmodel/lock/percpu.hpp>
#include <sockmodel/mm/slab.hpp>
#include <sockmodel/trace/decode.hpp>
#include <sockmodel/trace/trace.hpp>
#include <sockmodel/uapi/errno.hpp>

#include <new>
#include <string_view>

namespace sockmodel {

// Fault points (fault/fault.hpp) of this file's functions.
namespace fault_point {
inline constexpr fault_point_info d_alloc_pseudo{.name = "d_alloc_pseudo", .fn = "alloc_file_pseudo", .what = "d_alloc_pseudo returns NULL", .err = -ENOMEM};
inline constexpr fault_point_info file_max{.name = "file_max", .fn = "alloc_empty_file", .what = "nr_files >= fs.file-max", .err = -ENFILE};
inline constexpr fault_point_info filp_cache{.name = "filp_cache", .fn = "alloc_empty_file", .what = "filp_cachep: kmem_cache_alloc returns NULL", .err = -ENOMEM};
}  // namespace fault_point

inline constexpr unsigned sysctl_nr_open_default = 1024 * 1024;

// The file subsystem's state: filp_cachep, files_stat's file-max, and
// fs.nr_open of fs/file.c beside it. nr_files, the percpu_counter of files in
// use, is the lock policy's (lock/percpu.hpp: nr_files_add, get_nr_files).
class file_table {
public:
    long max_files() const { return __atomic_load_n(&max_files_, __ATOMIC_RELAXED); }
    unsigned nr_open() const { return __atomic_load_n(&nr_open_, __ATOMIC_RELAXED); }
    // The sysctls, written whole (WRITE_ONCE) from any thread; the path reads
    // them with READ_ONCE (get_max_files(cx), get_nr_open(cx)).
    void set_max_files(long n) { write_once(lock::any_thread{}, max_files_, n); }     // fs.file-max
    void set_nr_open(unsigned n) { write_once(lock::any_thread{}, nr_open_, n); }     // fs.nr_open

    object_cache<file>& cache() { return filp_; }
    const object_cache<file>& cache() const { return filp_; }

    // For get_max_files / get_nr_open.
    const long& max_files_field() const { return max_files_; }
    const unsigned& nr_open_field() const { return nr_open_; }

private:
    object_cache<file> filp_{"filp"};
    long max_files_ = 1L << 24;  // the kernel sizes it from memory
    unsigned nr_open_ = sysctl_nr_open_default;
};

// get_max_files() and sysctl_nr_open as the path reads them (READ_ONCE).
template <class Cx>
inline long get_max_files(Cx& cx)
{
    return read_once(cx, cx.k.files.max_files_field());
}
template <class Cx>
inline unsigned get_nr_open(Cx& cx)
{
    return read_once(cx, cx.k.files.nr_open_field());
}

// alloc_empty_file: the file-max limit (CAP_SYS_ADMIN exempt), then the filp cache.
template <class K>
inline err_ptr<file> alloc_empty_file(context<K>& cx, int flags)
{
    using abi = typename K::abi;
    auto t = trace::enter(cx, "alloc_empty_file");
    SOCKMODEL_TRACE_DESCRIBE(cx, t, [&] { return trace::decode_open_flags<abi>(flags); });
    // get_nr_files is the shared count, which under lock::smp other CPUs'
    // unfolded frees can leave below the truth; at the limit the exact sum decides.
    const long max_files = get_max_files(cx);
    if (should_fail<&fault_point::file_max>(cx) ||
        (get_nr_files(cx) >= max_files && !capable(cx.current.cred, capability::sys_admin) &&
         nr_files_sum_positive(cx) >= max_files)) {
        SOCKMODEL_TRACE_NOTE(cx, "alloc_empty_file", [] { return kstring("VFS: file-max limit reached"); });
        t.ret(-ENFILE);
        return ERR_PTR<file>(-ENFILE);
    }
    void* mem = should_fail<&fault_point::filp_cache>(cx) ? nullptr
                                                         : kmem_cache_alloc(cx, pcpu_cache::filp, cx.k.files.cache().raw());
    if (!mem) {
        t.ret(-ENOMEM);
        return ERR_PTR<file>(-ENOMEM);
    }
    file* f = ::new (mem) file();
    nr_files_add(cx, 1);  // percpu_counter_inc(&nr_files)
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
    SOCKMODEL_TRACE_DESCRIBE(cx, t, [&] { return "\"" + kstring(name) + "\""; });
    if (should_fail<&fault_point::d_alloc_pseudo>(cx)) {  // no dentry: nothing taken yet
        t.ret(-ENOMEM);
        return ERR_PTR<file>(-ENOMEM);
    }
    err_ptr<file> f = alloc_empty_file(cx, flags);
    if (f.IS_ERR()) {
        SOCKMODEL_TRACE_NOTE(cx, "alloc_file_pseudo", [] {
            return kstring("alloc_file failed: ihold(inode) + path_put: the dentry goes, the inode stays with "
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
    f->~file();
    kmem_cache_free(cx, pcpu_cache::filp, cx.k.files.cache().raw(), f);
    nr_files_add(cx, -1);  // file_free: percpu_counter_dec(&nr_files)
}

// fput: the last reference runs __fput (synchronously, as fput_close_sync in close(2)).
template <class K>
inline void fput(context<K>& cx, file* f)
{
    if (atomic_dec_and_test(cx, f->f_count))  // dup and close race on it
        __fput(cx, f);
}

}  // namespace sockmodel
