# gnuplot -e "datafile='passes.tsv'; outfile='performance.png'" bench/plot.gp
# passes.tsv (bench/run.sh): 1 containers, 3 daemon pass wall, 4 daemon pass
# CPU, 5 engine CPU for the one-pass process, 6/7 one-pass process wall/CPU, 8/9 docker
# inspect wall/CPU, 10 engine CPU for docker inspect (ms).
if (!exists("datafile")) datafile = 'passes.tsv'
if (!exists("outfile")) outfile = 'performance.png'
set terminal pngcairo size 1200,520 font 'DejaVu Sans,11'
set output outfile
set datafile separator "\t"
set key top left
set grid
set xlabel 'running containers'
set ylabel 'ms'
set xrange [0:*]
set yrange [0:*]
set multiplot layout 1,2 title 'beachhead-companion: one full pass vs docker inspect $(docker ps -q)'
set title 'wall time of one full pass'
plot datafile using 1:3 skip 1 with linespoints lw 2 pt 7 lc rgb '#1b9e77' title 'daemon: full pass (log begins..ends)', \
     datafile using 1:6 skip 1 with linespoints lw 2 pt 5 lc rgb '#7570b3' title 'daemon: one-pass process (start..exit)', \
     datafile using 1:8 skip 1 with linespoints lw 2 pt 9 lc rgb '#d95f02' title 'docker inspect $(docker ps -q)'
set title 'CPU time (user+sys)'
plot datafile using 1:4 skip 1 with linespoints lw 2 pt 7 lc rgb '#1b9e77' title 'daemon: full pass', \
     datafile using 1:7 skip 1 with linespoints lw 2 pt 5 lc rgb '#7570b3' title 'daemon: one-pass process', \
     datafile using 1:9 skip 1 with linespoints lw 2 pt 9 lc rgb '#d95f02' title 'docker CLI (inspect)', \
     datafile using 1:5 skip 1 with linespoints lw 1.5 dt 2 pt 6 lc rgb '#7570b3' title 'dockerd while the one-pass process runs', \
     datafile using 1:10 skip 1 with linespoints lw 1.5 dt 2 pt 8 lc rgb '#d95f02' title 'dockerd while docker inspect runs'
unset multiplot
