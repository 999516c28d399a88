// Bytes through a child's pipe: a sink the child fills, a source the parent
// reads back, and read/write loops that survive EINTR and short transfers.
// Not installed; see test/support/CMakeLists.txt.
#pragma once

#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace sockmodel_host {

// The harness itself failed: a pipe, a fork, a child that died or sent too little.
struct harness_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

[[noreturn]] inline void throw_errno(const std::string& what, int err = errno)
{
    throw harness_error(what + ": " + std::strerror(err));
}

class byte_sink {
public:
    template <class T>
        requires std::is_trivially_copyable_v<T>
    void put(const T& v)
    {
        const auto* p = reinterpret_cast<const unsigned char*>(&v);
        bytes_.insert(bytes_.end(), p, p + sizeof v);
    }

    void put_string(std::string_view s)
    {
        put<std::uint64_t>(s.size());
        bytes_.insert(bytes_.end(), s.begin(), s.end());
    }

    template <class T>
        requires std::is_trivially_copyable_v<T>
    void put_vector(const std::vector<T>& v)
    {
        put<std::uint64_t>(v.size());
        const auto* p = reinterpret_cast<const unsigned char*>(v.data());
        bytes_.insert(bytes_.end(), p, p + v.size() * sizeof(T));
    }

    void append(const std::vector<unsigned char>& more) { bytes_.insert(bytes_.end(), more.begin(), more.end()); }
    const std::vector<unsigned char>& bytes() const { return bytes_; }

private:
    std::vector<unsigned char> bytes_;
};

class byte_source {
public:
    explicit byte_source(std::span<const unsigned char> data) : data_(data) {}

    template <class T>
        requires std::is_trivially_copyable_v<T>
    T get()
    {
        need(sizeof(T));
        T v;
        std::memcpy(&v, data_.data() + pos_, sizeof v);
        pos_ += sizeof v;
        return v;
    }

    std::string get_string()
    {
        const auto n = static_cast<std::size_t>(get<std::uint64_t>());
        need(n);
        std::string s(reinterpret_cast<const char*>(data_.data() + pos_), n);
        pos_ += n;
        return s;
    }

    template <class T>
        requires std::is_trivially_copyable_v<T>
    std::vector<T> get_vector()
    {
        const auto n = static_cast<std::size_t>(get<std::uint64_t>());
        if (n > (data_.size() - pos_) / sizeof(T))
            truncated();
        std::vector<T> v(n);
        if (n)
            std::memcpy(v.data(), data_.data() + pos_, n * sizeof(T));
        pos_ += n * sizeof(T);
        return v;
    }

    bool done() const { return pos_ == data_.size(); }
    std::span<const unsigned char> rest() const { return data_.subspan(pos_); }

private:
    [[noreturn]] static void truncated() { throw harness_error("truncated record stream from the child"); }

    void need(std::size_t n) const
    {
        if (data_.size() - pos_ < n)
            truncated();
    }

    std::span<const unsigned char> data_;
    std::size_t pos_ = 0;
};

// write(2) until everything is out: partial writes and EINTR continue.
inline bool write_all(int fd, const unsigned char* p, std::size_t n)
{
    while (n > 0) {
        const ssize_t w = ::write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        p += w;
        n -= static_cast<std::size_t>(w);
    }
    return true;
}

// read(2) to end of file: partial reads and EINTR continue.
inline void read_all(int fd, std::vector<unsigned char>& out)
{
    unsigned char buf[65536];
    for (;;) {
        const ssize_t r = ::read(fd, buf, sizeof buf);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            throw_errno("read from the child's pipe");
        }
        if (r == 0)
            return;
        out.insert(out.end(), buf, buf + r);
    }
}

}  // namespace sockmodel_host
