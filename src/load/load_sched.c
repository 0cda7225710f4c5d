/* load_sched.c - arrival times of the open-model injection profile.
 * See load_sched.h for the math. */
#include "load/load_sched.h"

#include <math.h>

const load_scenario_def loadOfficialScenarios[3] = {
    {"create and maybe read",
     {{2, 2, 10, false}, {5, 5, 15, true}, {6, 600, 180, false}}, 3},
    {"valid search", {{2, 2, 25, false}, {6, 100, 180, false}}, 2},
    {"invalid search", {{2, 2, 25, false}, {6, 40, 180, false}}, 2},
};

uint64_t loadStepUsers(const load_step *s, double scale, double time_scale) {
    double n = (s->rate0 + s->rate1) * scale / 2.0 * s->secs * time_scale;
    return n <= 0 ? 0 : (uint64_t)llround(n);
}

/* Time at which the integral of a rate going linearly from a to b over d
 * seconds reaches i users. */
static double rampRoot(double a, double b, double d, double i) {
    double k = (b - a) / d; /* acceleration, users/s^2 */
    if (fabs(k) < 1e-12) return i / a;
    double disc = a * a + 2.0 * k * i;
    if (disc < 0) disc = 0;
    return (sqrt(disc) - a) / k;
}

double loadStepOffset(const load_step *s, double scale, double time_scale, uint64_t i,
                      double u) {
    double d = s->secs * time_scale;
    uint64_t n = loadStepUsers(s, scale, time_scale);
    if (n == 0) return 0;
    if (s->randomized) return ((double)i + u) * d / (double)n;
    double t = rampRoot(s->rate0 * scale, s->rate1 * scale, d, (double)i);
    return t > d ? d : t;
}

static double rngUnit(uint64_t *x) { /* splitmix64 → [0,1) */
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return (double)(z >> 11) / 9007199254740992.0;
}

static void enterStep(load_sched *s, int step) {
    s->step = step;
    s->i = 0;
    s->n = step < s->nsteps ? loadStepUsers(&s->steps[step], s->scale, s->time_scale) : 0;
}

void loadSchedInit(load_sched *s, const load_scenario_def *def, double scale, double time_scale,
                   uint64_t seed) {
    *s = (load_sched){.steps = def->steps, .nsteps = def->nsteps, .scale = scale,
                      .time_scale = time_scale, .rng = seed};
    enterStep(s, 0);
}

bool loadSchedNext(load_sched *s, double *t) {
    while (s->step < s->nsteps && s->i >= s->n) {
        s->step_start += s->steps[s->step].secs * s->time_scale;
        enterStep(s, s->step + 1);
    }
    if (s->step >= s->nsteps) return false;
    const load_step *st = &s->steps[s->step];
    double u = st->randomized ? rngUnit(&s->rng) : 0;
    *t = s->step_start + loadStepOffset(st, s->scale, s->time_scale, s->i, u);
    s->i++;
    return true;
}

uint64_t loadSchedTotal(const load_scenario_def *def, double scale, double time_scale) {
    uint64_t n = 0;
    for (int i = 0; i < def->nsteps; i++) n += loadStepUsers(&def->steps[i], scale, time_scale);
    return n;
}

double loadSchedSeconds(const load_scenario_def *def, double time_scale) {
    double d = 0;
    for (int i = 0; i < def->nsteps; i++) d += def->steps[i].secs * time_scale;
    return d;
}
