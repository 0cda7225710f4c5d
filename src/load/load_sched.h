/* load_sched.h - the injection profile: when each virtual user arrives.
 *
 * A scenario's injection is a list of steps, as in Gatling's open model:
 * `constantUsersPerSec(r).during(d)` is a step with rate0 == rate1 == r,
 * `rampUsersPerSec(a).to(b).during(d)` a step from a to b. A step sends
 * round((rate0 + rate1) / 2 * d) users (Gatling's own count); user i of a
 * step arrives at the t where the integral of the rate reaches i, i.e. the
 * root of rate0*t + (rate1 - rate0)/(2d)*t^2 = i, so user 0 arrives at the
 * start of the step. A `randomized` step keeps the count and jitters each
 * user within its own slot of d/n seconds (stratified sampling: random
 * gaps, same average rate, never a burst of the whole step at once).
 *
 * --scale multiplies every rate, --time-scale every duration, so a short
 * run keeps the shape of the long one. The iterator is O(1) per arrival and
 * allocates nothing: millions of users cost nothing up front. */
#ifndef BARDO_LOAD_SCHED_H
#define BARDO_LOAD_SCHED_H

#include <stdbool.h>
#include <stdint.h>

typedef struct load_step {
    double rate0, rate1; /* users per second at the start and the end */
    double secs;
    bool randomized;
} load_step;

#define LOAD_MAX_STEPS 4

typedef struct load_scenario_def {
    const char *name;
    load_step steps[LOAD_MAX_STEPS];
    int nsteps;
} load_scenario_def;

/* The three scenarios of the official simulation (SPEC §3), in the order of
 * enum load_scenario in load_engine.h: create, search, invalid search. */
extern const load_scenario_def loadOfficialScenarios[3];

typedef struct load_sched {
    const load_step *steps;
    int nsteps;
    double scale, time_scale;
    int step;           /* current step */
    uint64_t i, n;      /* next user of the step, users in the step */
    double step_start;  /* seconds since the start of the run */
    uint64_t rng;       /* for randomized steps */
} load_sched;

/* Users sent by one step under the given multipliers. */
uint64_t loadStepUsers(const load_step *s, double scale, double time_scale);
/* Offset in seconds of user i (0-based) inside the step; u in [0,1) is the
 * jitter used when the step is randomized. */
double loadStepOffset(const load_step *s, double scale, double time_scale, uint64_t i,
                      double u);
void loadSchedInit(load_sched *s, const load_scenario_def *def, double scale, double time_scale,
                   uint64_t seed);
/* Stores the next arrival time (seconds since the start) in *t; false once
 * every user of every step has arrived. */
bool loadSchedNext(load_sched *s, double *t);
/* Users and seconds of the whole scenario. */
uint64_t loadSchedTotal(const load_scenario_def *def, double scale, double time_scale);
double loadSchedSeconds(const load_scenario_def *def, double time_scale);

#endif
