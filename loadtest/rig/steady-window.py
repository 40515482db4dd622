#!/usr/bin/env python3
# steady-window.py RUN_DIR FROM_S TO_S : for a run of the comparison rig with our proxy (a run folder
# holding proxy.conf), the proxy CPU % (pidstat.log) and INVITE->final percentiles (SIPp rtt csv)
# restricted to seconds [FROM_S, TO_S) of the load, and the calls answered per second in that window.
import sys,glob,os,re
d,a,b=sys.argv[1],int(sys.argv[2]),int(sys.argv[3])
conf=os.path.exists(os.path.join(d,'proxy.conf'))
if not conf:
    sys.exit("not a run of our proxy (no proxy.conf); for Kamailio use the rig's whole-run figures")
kp=None
rows={}
for line in open(os.path.join(d,'pidstat.log')):
    f=line.split()
    if len(f)<10 or not re.match(r'\d\d:\d\d:\d\d',f[0]) or f[2]=='PID': continue
    pid=int(f[2]); cmd=f[-1]; cpu=float(f[7])
    ours = (cmd=='java') if conf else (cmd=='kamailio' and pid>=kp)
    if ours: rows[f[0]]=rows.get(f[0],0)+cpu
ts=sorted(rows)
win=[rows[t] for t in ts[a:b]]
cpu=sum(win)/len(win) if win else float('nan')
rtt=glob.glob(os.path.join(d,'*_rtt.csv'))[0]
v=[]
for line in open(rtt):
    p=line.strip().split(';')
    try: t=float(p[0]); r=float(p[1])
    except: continue
    if p[2]=='1' and a*1000<=t<b*1000: v.append(r)
v.sort()
q=lambda p: v[min(len(v)-1,max(0,int(len(v)*p/100+0.5)-1))] if v else float('nan')
cps=len(v)/(b-a)
print(f"{os.path.basename(d)} {'ours' if conf else 'kamailio'} window {a}-{b}s: answered/s {cps:.0f} proxy cpu {cpu:.0f}% => {1e6*cpu/100/cps if cps else 0:.0f} us/call; p50 {q(50):.0f} p99 {q(99):.0f} max {q(100):.0f} ms")
