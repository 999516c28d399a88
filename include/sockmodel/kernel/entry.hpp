// The entry of a system call into the model (what arch/x86/entry is to the
// kernel, with one check the kernel has no need for): the task that names the
// caller must be one of this kernel's live tasks, and a lock::none kernel
// takes one call at a time.
#pragma once

#include <sockmodel/kernel/task.hpp>
#include <sockmodel/lib/kstring.hpp>
#include <sockmodel/linux/err.hpp>

namespace sockmodel {

// A task that has exited, or one of another kernel object, names no caller:
// the kernel has no way to be called by a task that is gone, or by another
// kernel's, so this is a misuse of the library, reported by the bug policy
// (opt::on_bug), never a use after free. One compare on the way in: t.owner
// is the kernel exactly while t lives there.
template <class K>
[[noreturn, gnu::cold, gnu::noinline]] void bad_task(const K& kern, const task_struct& t)
{
    const kstring pid = "task " + to_kstring(t.pid);
    if (t.exited_from == &kern)
        kernel_bug<K>(pid + " has exited (kernel::exit ran on it): a task makes no system call, and "
                            "exits no second time, after its exit");
    if (t.exited_from)
        kernel_bug<K>(pid + " belongs to another kernel object, and has exited there: a task makes system "
                            "calls only on the kernel that spawned it");
    kernel_bug<K>(pid + " belongs to another kernel object (spawned by another kernel<>): a task makes "
                        "system calls only on the kernel that spawned it");
}

template <class K>
void check_task(const K& kern, const task_struct& t)
{
    if (t.owner != &kern) [[unlikely]]
        bad_task(kern, t);
}

template <class K>
[[noreturn, gnu::cold, gnu::noinline]] void concurrent_entry()
{
    kernel_bug<K>("a lock::none kernel was entered from two threads at once: under lock::none one system "
                  "call at a time (configure opt::locking<lock::smp> for threads)");
}

// Held for the length of a system call: the task checked, then, under
// lock::none with NDEBUG off, the kernel claimed for this thread until the
// call returns (lock/up.hpp: smp.enter(); nothing under lock::smp).
template <class K>
struct syscall_entry {
    typename K::lock_type::state::entry entry;
    syscall_entry(K& kern, const task_struct& caller) : entry((check_task(kern, caller), kern.smp.enter()))
    {
        if (entry.concurrent()) [[unlikely]]
            concurrent_entry<K>();
    }
};

}  // namespace sockmodel
