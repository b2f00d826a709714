# Reference values for the Kaplan-Meier and Aalen-Johansen estimators
# (outcomes._km), computed with R.
#
# Written against R 4.2.2 (2022-11-10 r83330) with survival 3.5-3 (Debian
# r-cran-survival). Rerun from the repository root with
#
#     Rscript tests/r/km_reference.R
#
# It rewrites, in tests/data/r_reference/,
#
#   km_inputs.csv      the right-censored data sets: dataset, time, event, weight
#   km.csv             survfit(Surv(time, event) ~ 1, weights = weight,
#                      conf.type = "log-log", conf.int = conf_level) at every
#                      distinct time: n.risk, n.event, n.censor, surv, std_err
#                      (the standard error of S, as summary() reports it: surv *
#                      fit$std.err when fit$logse, else fit$std.err), lower, upper
#   km_summary.csv     summary(fit, rmean = tau)$table: median and its CI (R's
#                      rule, survival:::survmean), rmean and se(rmean)
#   km_risk_table.csv  summary(fit, times = t, extend = TRUE): n.risk, the
#                      cumulative sums of n.event and n.censor, surv, lower, upper
#   aj_inputs.csv      the competing-risks data sets: dataset, time, cause
#                      (0 = censored, k = cause k)
#   aj.csv             survfit(Surv(time, factor(cause, 0:K)) ~ 1) at every
#                      distinct time, one row per state (state 0 is "(s0)",
#                      event-free; state k is cause k): n_risk, pstate, std_err
#                      (R's infinitesimal-jackknife standard error)
#
# Commit all six, so the tests need no R. The script stops if the R or survival
# version differs from the one above, unless KM_REFERENCE_ANY_VERSION=1 is set.
# Numbers are written with 17 significant digits; R's NA/NaN is written "nan"
# and Inf "inf", which Python's float() reads.
#
# Times compare exactly in outcomes._km; R merges floating-point near-ties
# (timefix = TRUE). The data sets here have no near-ties (whole days, whole
# months, days / 30.4375, or one decimal), so the two agree.

suppressPackageStartupMessages(library(survival))

expected_r <- "4.2.2"
expected_survival <- "3.5.3"
if (Sys.getenv("KM_REFERENCE_ANY_VERSION") != "1") {
  if (paste(R.version$major, R.version$minor, sep = ".") != expected_r ||
      as.character(packageVersion("survival")) != expected_survival) {
    stop("expected R ", expected_r, " and survival ", expected_survival,
         "; set KM_REFERENCE_ANY_VERSION=1 to run anyway")
  }
}

out_dir <- file.path("tests", "data", "r_reference")
if (!dir.exists(out_dir)) stop("run from the repository root (", out_dir, " not found)")

days_per_month <- 30.4375

fmt <- function(x) {
  ifelse(is.na(x), "nan",
         ifelse(is.infinite(x), ifelse(x > 0, "inf", "-inf"), sprintf("%.17g", x)))
}

# ----------------------------------------------------------------------------
# Right-censored data sets (event: 1 = event, 0 = censored)
# ----------------------------------------------------------------------------

km_sets <- list()

# 1. R's lung data: days since enrolment, status 2 = death. 42 tied times.
km_sets$lung <- data.frame(time = lung$time, event = as.integer(lung$status == 2), weight = 1)

# 2. The same in months (days / 30.4375): non-integer times.
km_sets$lung_months <- data.frame(time = lung$time / days_per_month,
                                  event = as.integer(lung$status == 2), weight = 1)

# 3. Hand-made: a censored first time (S = 1 there: R's log-log CI is NA),
#    tied events, censoring at event times, ends censored.
km_sets$hand_ties <- data.frame(
  time  = c(0.5, 1, 1, 2, 2, 2, 3, 4, 4, 4, 5, 6, 6, 7, 8, 8, 8, 10, 12, 12),
  event = c(0,   1, 1, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 1, 1, 0, 0, 1,  0,  0),
  weight = 1
)

# 4. Hand-made: an event at time 0, ties, and every subject still at risk at
#    the last time has the event there, so S drops to 0 (std.err Inf on the
#    log scale, NaN for S; CI NA).
km_sets$to_zero <- data.frame(
  time  = c(0, 0, 1, 2, 2, 3, 3, 3, 5, 6, 6),
  event = c(1, 0, 1, 1, 0, 1, 1, 0, 1, 1, 1),
  weight = 1
)

# 5. S is exactly 0.5 over the flat segment [5, 7): R's median is the midpoint 6.
km_sets$half_flat <- data.frame(
  time  = c(1, 2, 3, 4, 5, 6, 7, 8, 9, 10),
  event = c(1, 1, 1, 1, 1, 0, 1, 0, 1, 0),
  weight = 1
)

# 6. S reaches exactly 0.5 and never drops again: R's median is that time (2).
km_sets$half_flat_end <- data.frame(
  time  = c(1, 2, 3, 4),
  event = c(1, 1, 0, 0),
  weight = 1
)

# 7. Whole-number case weights: R treats them as frequencies (Greenwood).
km_sets$weighted_int <- data.frame(
  time   = c(1, 2, 2, 3, 3, 3, 4, 5, 5, 6, 7, 9),
  event  = c(0, 1, 0, 1, 1, 0, 1, 0, 1, 1, 0, 1),
  weight = c(1, 2, 1, 3, 1, 1, 2, 1, 1, 1, 4, 2)
)

# 8. Non-integer case weights: R switches to the robust (infinitesimal
#    jackknife) variance, with each row its own cluster.
km_sets$weighted_frac <- data.frame(
  time   = c(1,   2,   2,   3,   3,   3,   4,   5,   5,   6,   7,   9),
  event  = c(0,   1,   0,   1,   1,   0,   1,   0,   1,   1,   0,   1),
  weight = c(1.5, 2.5, 1.5, 3.5, 1.5, 1.5, 2.5, 1.5, 1.5, 1.5, 0.25, 2)
)

# 9. Simulated, with ties from rounding: 300 subjects, months to one decimal.
set.seed(20240611)
n <- 300
t_event <- round(rweibull(n, shape = 1.3, scale = 14), 1)
t_cens <- round(runif(n, 1, 30), 1)
km_sets$sim <- data.frame(time = pmin(t_event, t_cens),
                          event = as.integer(t_event <= t_cens), weight = 1)

# Confidence levels, RMST horizons and risk-table times per data set.
conf_levels <- list(lung = c(0.95, 0.9))
taus <- list(
  lung = c(100, 365, 730, 1022, 1500),
  lung_months = c(6, 12, 24),
  hand_ties = c(0.5, 4, 6.5, 12, 20),
  to_zero = c(0.5, 3, 6, 10),
  half_flat = c(5, 6, 8),
  half_flat_end = c(2, 3.5, 10),
  weighted_int = c(3, 9, 12),
  weighted_frac = c(3, 9, 12),
  sim = c(6, 12, 24)
)
table_times <- list(
  lung = c(0, 5, 100, 182.5, 365, 730, 1000, 1022, 1100),
  lung_months = c(0, 3, 6, 12, 24, 36),
  hand_ties = c(0, 0.5, 1, 1.5, 2, 4, 8, 12, 13),
  to_zero = c(0, 0.5, 2, 3, 5.5, 6, 7),
  half_flat = c(0, 5, 6, 7, 11),
  half_flat_end = c(0.5, 2, 4, 5),
  weighted_int = c(0, 1, 2, 3.5, 9, 10),
  weighted_frac = c(0, 1, 2, 3.5, 9, 10),
  sim = c(0, 1, 6, 12, 18, 24, 30)
)

km_inputs <- list()
km_curves <- list()
km_summaries <- list()
km_tables <- list()
for (name in names(km_sets)) {
  d <- km_sets[[name]]
  km_inputs[[name]] <- data.frame(dataset = name, time = fmt(d$time), event = d$event,
                                  weight = fmt(d$weight))
  levels <- if (is.null(conf_levels[[name]])) 0.95 else conf_levels[[name]]
  for (conf in levels) {
    fit <- survfit(Surv(time, event) ~ 1, data = d, weights = weight,
                   conf.type = "log-log", conf.int = conf)
    se_surv <- if (fit$logse) fit$surv * fit$std.err else fit$std.err
    # as a check on the line above: summary() at the curve's own times
    s_all <- summary(fit, censored = TRUE)
    stopifnot(isTRUE(all.equal(s_all$std.err, se_surv, tolerance = 1e-14)))
    key <- paste(name, conf)
    km_curves[[key]] <- data.frame(
      dataset = name, conf_level = fmt(conf), time = fmt(fit$time),
      n_risk = fmt(fit$n.risk), n_event = fmt(fit$n.event), n_censor = fmt(fit$n.censor),
      surv = fmt(fit$surv), std_err = fmt(se_surv),
      lower = fmt(fit$lower), upper = fmt(fit$upper), robust = !fit$logse
    )
    for (tau in taus[[name]]) {
      tab <- summary(fit, rmean = tau)$table
      km_summaries[[paste(key, tau)]] <- data.frame(
        dataset = name, conf_level = fmt(conf), tau = fmt(tau),
        median = fmt(tab[["median"]]), median_lower = fmt(tab[[8]]),
        median_upper = fmt(tab[[9]]), rmean = fmt(tab[["rmean"]]),
        se_rmean = fmt(tab[["se(rmean)"]])
      )
    }
    tt <- table_times[[name]]
    s <- summary(fit, times = tt, extend = TRUE)
    stopifnot(length(s$time) == length(tt))
    km_tables[[key]] <- data.frame(
      dataset = name, conf_level = fmt(conf), time = fmt(tt),
      n_risk = fmt(s$n.risk), n_event_cum = fmt(cumsum(s$n.event)),
      n_censor_cum = fmt(cumsum(s$n.censor)), surv = fmt(s$surv),
      lower = fmt(s$lower), upper = fmt(s$upper)
    )
  }
}

write_table <- function(parts, file) {
  write.csv(do.call(rbind, parts), file.path(out_dir, file), row.names = FALSE, quote = FALSE)
}
write_table(km_inputs, "km_inputs.csv")
write_table(km_curves, "km.csv")
write_table(km_summaries, "km_summary.csv")
write_table(km_tables, "km_risk_table.csv")

# ----------------------------------------------------------------------------
# Competing risks (cause: 0 = censored, k = cause k)
# ----------------------------------------------------------------------------

aj_sets <- list()

# 1. R's mgus2 data: months to plasma-cell malignancy (cause 1) or death
#    without it (cause 2), whichever comes first. Whole months, many ties.
etime <- with(mgus2, ifelse(pstat == 0, futime, ptime))
ecause <- with(mgus2, ifelse(pstat == 0, 2 * death, 1))
aj_sets$mgus2 <- data.frame(time = etime, cause = ecause)

# 2. Hand-made, three causes: ties within and across causes, censoring at
#    event times, a cause with a single event, ends with events only (S = 0).
aj_sets$hand_cr <- data.frame(
  time  = c(1, 1, 1, 2, 2, 3, 3, 3, 3, 4, 5, 5, 6, 7, 7, 8, 9, 9),
  cause = c(1, 2, 0, 1, 1, 2, 0, 1, 3, 0, 2, 2, 1, 0, 1, 2, 1, 2)
)

# 3. Simulated: 400 subjects, two causes with different hazards, uniform
#    censoring, months rounded to one decimal (ties).
set.seed(7)
n <- 400
t1 <- rexp(n, 1 / 20)
t2 <- rexp(n, 1 / 35)
tc <- runif(n, 0, 40)
tmin <- pmin(t1, t2, tc)
aj_sets$sim_cr <- data.frame(
  time = round(tmin, 1),
  cause = ifelse(tmin == tc, 0, ifelse(tmin == t1, 1, 2))
)

# 4. A single cause (lung deaths): Aalen-Johansen is 1 - Kaplan-Meier.
aj_sets$lung_single <- data.frame(time = lung$time, cause = as.integer(lung$status == 2))

aj_inputs <- list()
aj_results <- list()
for (name in names(aj_sets)) {
  d <- aj_sets[[name]]
  k <- max(d$cause)
  fit <- survfit(Surv(time, factor(cause, 0:k)) ~ 1, data = d)
  stopifnot(identical(fit$states, c("(s0)", as.character(seq_len(k)))))
  aj_inputs[[name]] <- data.frame(dataset = name, time = fmt(d$time), cause = d$cause)
  nt <- length(fit$time)
  aj_results[[name]] <- data.frame(
    dataset = name,
    time = fmt(rep(fit$time, k + 1)),
    n_risk = fmt(rep(fit$n.risk[, 1], k + 1)),
    state = rep(0:k, each = nt),
    pstate = fmt(as.vector(fit$pstate)),
    std_err = fmt(as.vector(fit$std.err))
  )
}
write_table(aj_inputs, "aj_inputs.csv")
write_table(aj_results, "aj.csv")

cat("wrote km_inputs.csv, km.csv, km_summary.csv, km_risk_table.csv, aj_inputs.csv and aj.csv",
    "in", out_dir, "\n")
