// Checks that bench/state_floor.hpp leaves what the model leaves: one
// AF_INET/SOCK_STREAM socket() from each, every non-pointer field compared,
// and every pointer field for pointing at the same one of its objects.
// Run by bench/icount.sh before it counts (exit status 1 on a difference):
//
//     g++ -std=c++20 -Iinclude -Ibench bench/icount/state_check.cpp -o /tmp/sc && /tmp/sc
#include <sockmodel/sockmodel.hpp>
#include "state_floor.hpp"
#include <cstdio>
using namespace sockmodel;
int main(){
 kernel<default_config> k; auto& t=k.spawn(); int fd=k.socket(t,2,1,0);
 file* f = t.files->lookup(fd); auto* s = static_cast<sockmodel::socket*>(f->private_data); auto* tp = static_cast<tcp_sock*>(s->sk);
 static bench::state_floor fl; int n = fl.socket(); auto* ff=(bench::state_floor::file_t*)fl.fd[n];
 auto* fs=(bench::state_floor::socket_t*)ff->private_data; auto* ft=(bench::state_floor::tcp_sock_t*)fs->sk;
 auto* fi=(bench::state_floor::inode_t*)ff->f_inode; auto& mi = SOCK_INODE(*s);
static int diffs = 0;
#define C(a,b) if ((long long)(a) != (long long)(b)) { std::printf("state floor: %s is %lld, model %lld\n", #b, (long long)(b), (long long)(a)); ++diffs; }
 C(s->state, fs->state) C(s->type, fs->type) C(s->flags, fs->flags)
 C(mi.i_ino, fi->i_ino) C(mi.i_mode, fi->i_mode) C(mi.i_uid, fi->i_uid) C(mi.i_gid, fi->i_gid) C(mi.i_nlink, fi->i_nlink) C(mi.i_count.counter, fi->i_count)
 C(tp->sk_family, ft->sk_family) C(tp->sk_type, ft->sk_type) C(tp->sk_protocol, ft->sk_protocol) C(tp->sk_state, ft->sk_state)
 C(tp->sk_reuse, ft->sk_reuse) C(tp->sk_kern_sock, ft->sk_kern_sock) C(tp->sk_net_refcnt, ft->sk_net_refcnt) C(tp->sk_ipv6only, ft->sk_ipv6only)
 C(tp->sk_flags, ft->sk_flags) C(tp->sk_rcvbuf, ft->sk_rcvbuf) C(tp->sk_sndbuf, ft->sk_sndbuf) C(tp->sk_peek_off, ft->sk_peek_off)
 C(tp->sk_rcvlowat, ft->sk_rcvlowat) C(tp->sk_rcvtimeo, ft->sk_rcvtimeo) C(tp->sk_sndtimeo, ft->sk_sndtimeo) C(tp->sk_incoming_cpu, ft->sk_incoming_cpu) C(tp->sk_uid, ft->sk_uid)
 C(tp->inet_num, ft->inet_num) C(tp->inet_sport, ft->inet_sport) C(tp->uc_ttl, ft->uc_ttl) C(tp->mc_ttl, ft->mc_ttl) C(tp->pmtudisc, ft->pmtudisc)
 C(tp->hdrincl, ft->hdrincl) C(tp->mc_loop, ft->mc_loop) C(tp->mc_all, ft->mc_all) C(tp->is_icsk, ft->is_icsk)
 C(tp->snd_cwnd, ft->snd_cwnd) C(tp->mss_cache, ft->mss_cache) C(tp->snd_ssthresh, ft->snd_ssthresh) C(tp->icsk_af_ops==tp, ft->icsk_af_ops==ft)
 C(tp->sk_socket==s, ft->sk_socket==fs) C(tp->sk_wq==&s->wq, ft->sk_wq==&fs->wq_fasync_list) C(tp->pinet6==nullptr, ft->pinet6==nullptr)
 C(f->f_count.counter, ff->f_count) C(f->f_flags, ff->f_flags) C(f->f_mode, ff->f_mode) C(f->f_dentry_name.size(), ff->name_len) C(f->f_inode==&mi, ff->f_inode==fi)
 C(s->file==f, fs->file==ff)
 C(tp->sk_refcnt.refs, ft->sk_refcnt) C(tp->sk_wmem_alloc.refs, ft->sk_wmem_alloc)
 return diffs != 0;
}
