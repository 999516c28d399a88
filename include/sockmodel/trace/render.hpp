// Renderers for a recorded trace (trace::recorder::events): an indented call
// tree for people, JSON Lines for programs, Graphviz DOT for pictures.
//
// All three are pure functions of the event list: no addresses, no clocks, so
// the same run always renders to the same bytes (the golden tests rely on it).
//
// The events are a flat enter/note/exit stream; the renderers rebuild the call
// tree from it with a stack. A note belongs to the innermost call open when it
// was recorded; an exit closes the innermost open call. A call whose exit never
// came (a trace cut short) renders as "(no return)".
#pragma once

#include <sockmodel/trace/decode.hpp>
#include <sockmodel/trace/trace.hpp>
#include <sockmodel/uapi/errno.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sockmodel::trace {

// The value a name stands for in one of decode.hpp's tables, for tools that
// parse names (sockmodel-trace's arguments); std::nullopt for an unknown one.
constexpr std::optional<int> value_of(std::span<const name_value> table, std::string_view name)
{
    int v = 0;
    return lookup_value(table, name, &v) ? std::optional<int>(v) : std::nullopt;
}

namespace detail {

// One function call rebuilt from its enter and exit events.
struct call_node {
    std::string_view fn;
    std::string args;
    int level = 0;               // nesting as rebuilt (0 for a system call)
    std::size_t seq = 0;         // 1-based call order over the whole trace
    std::size_t parent = npos;   // index into the node list, npos for a root
    bool exited = false;
    long ret = 0;
    bool has_ret = false;
    bool is_pointer = false;
    std::vector<std::string> notes;  // in recording order

    // Notes and children interleaved in recording order: for a note, the
    // index into `notes`; for a child, its index into the node list.
    struct item {
        bool is_note;
        std::size_t index;
    };
    std::vector<item> items;

    static constexpr std::size_t npos = static_cast<std::size_t>(-1);
};

struct call_forest {
    std::vector<call_node> nodes;
    std::vector<call_node::item> top;  // root calls and stray notes, in order
};

inline call_forest build_forest(const std::vector<event>& events)
{
    call_forest f;
    std::vector<std::size_t> open;
    std::size_t seq = 0;
    for (const event& e : events) {
        switch (e.what) {
        case kind::enter: {
            call_node n;
            n.fn = e.fn;
            n.args = e.text;
            n.level = static_cast<int>(open.size());
            n.seq = ++seq;
            n.parent = open.empty() ? call_node::npos : open.back();
            const std::size_t idx = f.nodes.size();
            f.nodes.push_back(std::move(n));
            if (open.empty())
                f.top.push_back({false, idx});
            else
                f.nodes[open.back()].items.push_back({false, idx});
            open.push_back(idx);
            break;
        }
        case kind::note:
            if (open.empty()) {
                // A note outside every call: keep it, as a top-level line.
                call_node holder;
                holder.fn = e.fn;
                holder.notes.push_back(e.text);
                holder.level = -1;
                f.nodes.push_back(std::move(holder));
                f.top.push_back({true, f.nodes.size() - 1});
            } else {
                call_node& n = f.nodes[open.back()];
                n.items.push_back({true, n.notes.size()});
                n.notes.push_back(e.text);
            }
            break;
        case kind::exit:
            if (!open.empty()) {
                call_node& n = f.nodes[open.back()];
                n.exited = true;
                n.ret = e.ret;
                n.has_ret = e.has_ret;
                n.is_pointer = e.is_pointer;
                open.pop_back();
            }
            break;
        }
    }
    return f;
}

// "-93 EPROTONOSUPPORT", "3", "ok", "NULL", or empty for a void return.
inline std::string format_result(bool exited, long ret, bool has_ret, bool is_pointer)
{
    if (!exited)
        return "(no return)";
    if (!has_ret)
        return {};
    if (is_pointer)
        return ret ? "ok" : "NULL";
    std::string s = std::to_string(ret);
    if (ret < 0) {
        const std::string_view name = errno_name(static_cast<int>(ret));
        if (!name.empty()) {
            s += ' ';
            s += name;
        }
    }
    return s;
}

inline std::string format_result(const call_node& n)
{
    return format_result(n.exited, n.ret, n.has_ret, n.is_pointer);
}

inline bool is_error(const call_node& n)
{
    return n.exited && n.has_ret && (n.is_pointer ? n.ret == 0 : n.ret < 0);
}

inline void render_tree_node(const call_forest& f, std::size_t idx, std::string& out)
{
    const call_node& n = f.nodes[idx];
    out.append(static_cast<std::size_t>(2 * n.level), ' ');
    out += n.fn;
    out += '(';
    out += n.args;
    out += ')';
    if (const std::string r = format_result(n); !r.empty()) {
        out += " → ";
        out += r;
    }
    out += '\n';
    for (const call_node::item& it : n.items) {
        if (it.is_note) {
            out.append(static_cast<std::size_t>(2 * (n.level + 1)), ' ');
            out += "· ";
            out += n.notes[it.index];
            out += '\n';
        } else {
            render_tree_node(f, it.index, out);
        }
    }
}

// JSON string contents: quotes, backslashes and control characters escaped;
// bytes that are not valid UTF-8 become U+FFFD so the output always parses.
inline void json_escape(std::string_view s, std::string& out)
{
    static constexpr char hexdigits[] = "0123456789abcdef";
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (c < 0x20 || c == 0x7f) {
                    out += "\\u00";
                    out += hexdigits[c >> 4];
                    out += hexdigits[c & 0xf];
                } else {
                    out += static_cast<char>(c);
                }
            }
            ++i;
            continue;
        }
        // A multi-byte sequence: copy it if it is well formed (RFC 3629).
        std::size_t len = 0;
        unsigned cp = 0;
        if (c >= 0xc2 && c <= 0xdf) { len = 2; cp = c & 0x1fU; }
        else if (c >= 0xe0 && c <= 0xef) { len = 3; cp = c & 0x0fU; }
        else if (c >= 0xf0 && c <= 0xf4) { len = 4; cp = c & 0x07U; }
        bool ok = len != 0 && i + len <= s.size();
        for (std::size_t j = 1; ok && j < len; ++j) {
            const auto cc = static_cast<unsigned char>(s[i + j]);
            ok = (cc & 0xc0U) == 0x80U;
            cp = (cp << 6) | (cc & 0x3fU);
        }
        if (ok)
            ok = !(len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) &&
                 !(len == 4 && (cp < 0x10000 || cp > 0x10ffff));
        if (ok) {
            out.append(s.substr(i, len));
            i += len;
        } else {
            out += "\\ufffd";
            ++i;
        }
    }
}

inline std::string json_string(std::string_view s)
{
    std::string out = "\"";
    json_escape(s, out);
    out += '"';
    return out;
}

// A DOT double-quoted string body: quotes and backslashes escaped, control
// characters dropped to spaces; each line of `lines` left-justified (\l).
inline std::string dot_label(const std::vector<std::string>& lines)
{
    std::string out;
    for (const std::string& line : lines) {
        for (const char ch : line) {
            const auto c = static_cast<unsigned char>(ch);
            if (ch == '"' || ch == '\\') {
                out += '\\';
                out += ch;
            } else if (c < 0x20 || c == 0x7f) {
                out += ' ';
            } else {
                out += ch;
            }
        }
        out += "\\l";
    }
    return out;
}

}  // namespace detail

// An indented call tree, two spaces per level:
//
//     __sys_socket(AF_INET, SOCK_STREAM, IPPROTO_IP) → 3
//       update_socket_protocol() → 0
//       __sys_socket_create(AF_INET, SOCK_STREAM, IPPROTO_IP) → ok
//         · type &= SOCK_TYPE_MASK: SOCK_STREAM
//
// Each call is one line with its decoded arguments and what it returned:
// "→ -93 EPROTONOSUPPORT" for an error, "→ ok"/"→ NULL" for a pointer, nothing
// for a void function. Notes ("· …") sit under their function, in order with
// its callees.
inline std::string render_tree(const std::vector<event>& events)
{
    const detail::call_forest f = detail::build_forest(events);
    std::string out;
    for (const auto& it : f.top) {
        if (it.is_note) {
            out += "· ";
            out += f.nodes[it.index].notes.front();
            out += '\n';
        } else {
            detail::render_tree_node(f, it.index, out);
        }
    }
    return out;
}

// JSON Lines, one object per event, keys in a fixed order:
//
//     {"event":"enter","depth":0,"fn":"__sys_socket","text":"AF_INET, SOCK_STREAM, IPPROTO_IP"}
//     {"event":"exit","depth":1,"fn":"sock_alloc","text":"","ret":1,"pointer":true}
//     {"event":"exit","depth":4,"fn":"inet_create","text":"","ret":-93,"errno":"EPROTONOSUPPORT"}
//
// Exits with a value carry "ret" (for a pointer 1 or 0 = NULL, with
// "pointer":true) and, when negative, "errno". Void exits carry neither.
inline std::string render_jsonl(const std::vector<event>& events)
{
    std::string out;
    for (const event& e : events) {
        out += "{\"event\":\"";
        out += e.what == kind::enter ? "enter" : e.what == kind::note ? "note" : "exit";
        out += "\",\"depth\":";
        out += std::to_string(e.depth);
        out += ",\"fn\":";
        out += detail::json_string(e.fn);
        out += ",\"text\":";
        out += detail::json_string(e.text);
        if (e.what == kind::exit && e.has_ret) {
            out += ",\"ret\":";
            out += std::to_string(e.ret);
            if (e.is_pointer) {
                out += ",\"pointer\":true";
            } else if (e.ret < 0) {
                if (const std::string_view name = errno_name(static_cast<int>(e.ret)); !name.empty()) {
                    out += ",\"errno\":";
                    out += detail::json_string(name);
                }
            }
        }
        out += "}\n";
    }
    return out;
}

// A Graphviz digraph of the call tree: one box per call (name and arguments,
// its notes, its result), red when the call failed (negative return or NULL);
// edges go from caller to callee, labelled with the callee's 1-based position
// in call order. `title`, if given, becomes the graph's label (one line each).
inline std::string render_dot(const std::vector<event>& events, const std::vector<std::string>& title = {})
{
    const detail::call_forest f = detail::build_forest(events);
    std::string out;
    out += "digraph sockmodel_trace {\n";
    out += "  graph [rankdir=TB, ordering=out, fontname=\"monospace\", labelloc=b, labeljust=l";
    if (!title.empty()) {
        out += ", label=\"";
        out += detail::dot_label(title);
        out += '"';
    }
    out += "];\n";
    out += "  node [shape=box, style=rounded, fontname=\"monospace\", fontsize=10];\n";
    out += "  edge [fontname=\"monospace\", fontsize=9];\n";

    std::size_t stray = 0;
    for (std::size_t i = 0; i < f.nodes.size(); ++i) {
        const detail::call_node& n = f.nodes[i];
        std::vector<std::string> lines;
        if (n.level < 0) {  // a note outside every call
            lines.push_back("· " + n.notes.front());
            out += "  note" + std::to_string(++stray) + " [shape=note, label=\"" + detail::dot_label(lines) + "\"];\n";
            continue;
        }
        lines.push_back(std::string(n.fn) + "(" + n.args + ")");
        for (const std::string& note : n.notes)
            lines.push_back("· " + note);
        if (const std::string r = detail::format_result(n); !r.empty())
            lines.push_back("→ " + r);
        out += "  n" + std::to_string(n.seq) + " [label=\"" + detail::dot_label(lines) + "\"";
        if (detail::is_error(n))
            out += ", color=red, fontcolor=red";
        out += "];\n";
    }
    for (const detail::call_node& n : f.nodes) {
        if (n.level < 0 || n.parent == detail::call_node::npos)
            continue;
        out += "  n" + std::to_string(f.nodes[n.parent].seq) + " -> n" + std::to_string(n.seq) + " [label=\"" +
               std::to_string(n.seq) + "\"";
        if (detail::is_error(n))
            out += ", color=red, fontcolor=red";
        out += "];\n";
    }
    out += "}\n";
    return out;
}

}  // namespace sockmodel::trace
