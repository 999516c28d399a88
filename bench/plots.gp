# Run in bench/results/ by bench/run.sh, after summarize.py wrote the .dat files.
# noenhanced: the function names' underscores are text, not subscripts.
set terminal svg size 800,480 dynamic font "sans,12" noenhanced
set output "fd_cost.svg"
set title "lowest-free fd taken and given back (dup()+close()), CPU ns, median of 5"
set key top right
set logscale x 2
set xtics ("16" 16, "1,024" 1024, "16,384" 16384, "65,536" 65536, "1,048,576" 1048576)
set logscale y 10
set yrange [1:30000]
set rmargin 8
set xlabel "open fds"
set ylabel "ns per dup()+close()"
set grid
set datafile missing "NaN"
plot "fd_cost.dat" using 1:2 with linespoints title "model dup()+close(), hole at end", \
     "fd_cost.dat" using 1:3 with linespoints title "model dup()+close(), hole low", \
     "fd_cost.dat" using 1:4 with linespoints title "model alloc_fd+put_unused_fd, hole at end", \
     "fd_cost_kernel.dat" using 1:2 with linespoints title "live kernel dup()+close(), hole at end", \
     "fd_cost_kernel.dat" using 1:3 with linespoints title "live kernel dup()+close(), hole low"

set output "path_steps.svg"
set title "AF_INET/SOCK_STREAM socket()+close() in the model: self instructions per function (callgrind, SOCKMODEL_FLATTEN=0)"
unset logscale
set logscale y 10
unset logscale y
set style data histograms
set style fill solid 0.6
set boxwidth 0.8
set xtics rotate by -40 nomirror
set xtics auto
set xlabel ""
set ylabel "instructions per socket()+close()"
set key off
set rmargin
set yrange [0:*]
plot "icount_steps.dat" using 2:xtic(1)
