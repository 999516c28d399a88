// ERR_PTR/IS_ERR/PTR_ERR (include/linux/err.h): a pointer or a negative errno,
// kept as two fields instead of one word so the model stays free of UB.
#pragma once

namespace sockmodel {

template <class T>
struct err_ptr {
    T* ptr = nullptr;
    int err = 0;

    constexpr err_ptr(T* p) : ptr(p) {}  // NOLINT: implicit, as a kernel pointer return
    static constexpr err_ptr error(int e) { err_ptr r(nullptr); r.err = e; return r; }

    constexpr bool IS_ERR() const { return err != 0; }
    constexpr int PTR_ERR() const { return err; }
};

template <class T>
constexpr err_ptr<T> ERR_PTR(int e) { return err_ptr<T>::error(e); }

}  // namespace sockmodel
