package slsim

// rng is a small deterministic generator (splitmix64). Every part of the
// account derives its own rng from the seed and a stable key, so generating
// one invoice never depends on which others were generated before.
type rng struct{ s uint64 }

func newRNG(keys ...int64) *rng {
	r := &rng{s: 0x9e3779b97f4a7c15}
	for _, k := range keys {
		r.s ^= uint64(k)
		r.next()
	}
	return r
}

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// intn returns a value in [0,n); n must be > 0.
func (r *rng) intn(n int) int { return int(r.next() % uint64(n)) }

// chance reports true with probability pct percent.
func (r *rng) chance(pct int) bool { return r.intn(100) < pct }

// float returns a value in [0,1).
func (r *rng) float() float64 { return float64(r.next()>>11) / (1 << 53) }
