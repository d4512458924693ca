T=/sys/kernel/tracing
mount -t tracefs nodev $T
for k in options timerlat_period_us cpus; do cat $T/osnoise/$k > /out/before.$k; done
lb-interfere 0 90 800 10000 7 > /out/spin.windows &
sleep 0.5
latency-bench --cpus 0 -D 5 --threshold 333.25us --json /out/spin.json > /out/spin.txt 2> /out/spin.err
echo $? > /out/spin.rc
wait
lb-interfere 0 90 800 10000 7 > /dev/null &
sleep 0.5
cd /out && rtla timerlat top -c 0 -d 5 -a 500 -P f:80 -q > /out/rtla.txt 2>&1
echo $? > /out/rtla.rc
wait
insmod /files/lb_irqoff.ko cpu=0 off_us=300 period_ms=10
latency-bench --cpus 0 -D 5 --threshold 100us --json /out/irqoff.json > /out/irqoff.txt 2> /out/irqoff.err
echo $? > /out/irqoff.rc
rmmod lb_irqoff
latency-bench --cpus 0 -D 5 --threshold 100us --json /out/quiet.json > /out/quiet.txt 2> /out/quiet.err
echo $? > /out/quiet.rc
for k in options timerlat_period_us cpus; do cat $T/osnoise/$k > /out/after.$k; done
ls $T/instances > /out/after.instances
cat $T/current_tracer > /out/after.tracer
