import sys, glob; sys.path.insert(0,'/tmp/bgv')
from sim import *
from feat import cores
def stretches_rule(d, P, F):
    n=len(d['raw']); raw=d['raw']
    if d['fg_level'] is None: return []
    old=stretches(d,'old')
    oldset=set(s for s,_ in old)
    regs=pad_merge(cores(d),n)
    extra=[]
    for (a,b),l in stretches(d,'core'):
        if (a,b) in oldset: continue
        pe=max([r[1] for r in regs if r[1]<=a], default=0); ns=min([r[0] for r in regs if r[0]>=b], default=n)
        if ns-pe>=P and sum(raw[pe:ns])/(ns-pe)>=F: extra.append(((a,b),l))
    return sorted(old+extra)
def det(path,P,F):
    return any(judge(stretches_rule(d,P,F), d['fg_level']) for d in blocks(path) if d['fg_level'] is not None)
import itertools
files={k:sorted(glob.glob(g)) for k,g in [('s11','s11/mix*.dbg'),('s12','s12/mix*.dbg'),('s13','s13/mix*.dbg')]}
real=sorted(glob.glob('real/*.dbg'))
files['clean']=[p for p in real if 'calls_' not in p]; files['calls']=[p for p in real if 'calls_' in p and 'agent_side' not in p]
cache={p:blocks(p) for k in files for p in files[k]}
def detc(p,P,F): return any(judge(stretches_rule(d,P,F), d['fg_level']) for d in cache[p] if d['fg_level'] is not None)
for P,F in [(10**9,0)]+list(itertools.product([100,150,200,250],[0.3,0.4,0.5,0.6])):
    print(P,F, {k:sum(detc(p,P,F) for p in v) for k,v in files.items()}, {k:len(v) for k,v in files.items()})
