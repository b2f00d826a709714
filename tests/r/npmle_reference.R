# Reference values for the Turnbull NPMLE (outcomes._npmle), computed with R.
#
# Written against R 4.2.2 (2022-11-10 r83330) with survival 3.5-3 (Debian
# r-cran-survival). Rerun from the repository root with
#
#     Rscript tests/r/npmle_reference.R
#
# It rewrites tests/data/r_reference/npmle_inputs.csv (the data sets) and
# tests/data/r_reference/npmle.csv (the survival curves); commit both, so the
# tests need no R. The script stops if the R or survival version differs from
# the one above, unless NPMLE_REFERENCE_ANY_VERSION=1 is set.
#
# What is compared. survfit(Surv(l, r, type = "interval2") ~ 1) treats each
# observation as (l, r] (l == r: exact time, r = Inf: right-censored at l) and
# fits Turnbull's NPMLE by EM. It draws each drop at the midpoint of its
# innermost interval, but the curve is only identified at the endpoints of
# the data, so S(t) is written at every distinct finite endpoint t, with
# summary(fit, times = t, extend = TRUE) (checked against the step function).
#
# R's EM (survival:::survfitTurnbull) stops when S changes by less than 5e-5
# between two iterations, which can be far from the maximum: the column
# surv_default holds that fit. For surv_tight the same function is run with
# that threshold lowered to 1e-13 (and an iteration cap of 200000), by
# editing the constant in a copy of the function and putting the copy into
# the survival namespace for this session only. Nothing else changes.
#
# Where R's EM is known to stop short of the maximum (data set
# clinic_r_stalls, below) the tests do not expect agreement; they check that
# R's curve has a lower likelihood and fails the optimality conditions.
#
# Another exception: R's aml data have no interval- or left-censored rows, and
# for such data survfitTurnbull adds a phantom observation of weight 1 that
# covers every event time (its `wtmat <- matrix(1, ...); lwt <- 1` branch), so
# its curve is not the Kaplan-Meier curve (e.g. S(5) = 0.912725 instead of
# 21/23 = 0.913043; see therneau/survival issue 128, where the maintainer
# agrees the code could be smarter here). For aml the reference is therefore
# survfit(Surv(time, status) ~ 1), the Kaplan-Meier estimate, which is the
# NPMLE for exact and right-censored data.
#
# Columns of npmle.csv: dataset, time (months; weeks for aml), surv_tight,
# surv_default, r_fit (which R call), r_iterations (EM iterations of the tight
# fit; NA for Kaplan-Meier).

suppressPackageStartupMessages(library(survival))

expected_r <- "4.2.2"
expected_survival <- "3.5.3"
if (Sys.getenv("NPMLE_REFERENCE_ANY_VERSION") != "1") {
  if (paste(R.version$major, R.version$minor, sep = ".") != expected_r ||
      as.character(packageVersion("survival")) != expected_survival) {
    stop("expected R ", expected_r, " and survival ", expected_survival,
         "; set NPMLE_REFERENCE_ANY_VERSION=1 to run anyway")
  }
}

out_dir <- file.path("tests", "data", "r_reference")
if (!dir.exists(out_dir)) stop("run from the repository root (", out_dir, " not found)")

days_per_month <- 30.4375

# ----------------------------------------------------------------------------
# Data sets (months since the procedure)
# ----------------------------------------------------------------------------

datasets <- list()

# 1. Small, hand-made, with tied endpoints and repeated intervals. Its NPMLE
#    has an interval with zero mass and a vanishing gradient (EM converges
#    only sublinearly there).
datasets$hand_ties <- data.frame(
  left  = c(0, 0, 1, 2, 2, 3,   0.5, 1,   4, 1, 2, 0, 3, 6),
  right = c(1, 1, 3, 4, 4, Inf, 2,   Inf, 6, 3, 3, 2, 6, Inf),
  weight = 1
)

# 2. Scheduled visits at 1, 3, 6 and 12 months; the event is seen at the
#    first visit after it, and right-censoring happens only at a visit (the
#    last one attended).
set.seed(101)
n <- 80
visits <- c(1, 3, 6, 12)
t_event <- rexp(n, rate = 1 / 5)
last_visit <- sample(2:4, n, replace = TRUE, prob = c(0.2, 0.3, 0.5))
left <- right <- numeric(n)
for (i in seq_len(n)) {
  v <- visits[seq_len(last_visit[i])]
  before <- v[v < t_event[i]]
  after <- v[v >= t_event[i]]
  left[i] <- if (length(before)) max(before) else 0
  right[i] <- if (length(after)) min(after) else Inf
}
datasets$visits_rc <- data.frame(left = left, right = right, weight = 1)

# 3. Exact event times mixed with intervals and right-censoring, with exact
#    times equal to other observations' endpoints.
datasets$exact_mix <- data.frame(
  left  = c(2, 2, 1, 0, 3, 4,   4, 5,   0.5, 2, 6, 1, 3, 2.5, 0, 6),
  right = c(2, 2, 3, 2, 3, Inf, 6, Inf, 2,   4, 6, 1, 5, 2.5, 1, Inf),
  weight = 1
)

# 4. Clinic-like: visits at 0.5, 1, 3, 6, 12, 18 and 24 months, each moved by
#    up to a week and rounded to whole days; visits missed at random; drop-out
#    after a random visit; event time Weibull.
make_clinic <- function(seed, n) {
  set.seed(seed)
  visit_months <- c(0.5, 1, 3, 6, 12, 18, 24)
  t_event <- rweibull(n, shape = 1.2, scale = 8)
  left <- right <- numeric(n)
  for (i in seq_len(n)) {
    d <- round(visit_months * days_per_month + runif(length(visit_months), -7, 7))
    attended <- runif(length(visit_months)) > 0.15
    attended[seq_along(visit_months) > sample(2:7, 1)] <- FALSE
    v <- d[attended] / days_per_month
    before <- v[v < t_event[i]]
    after <- v[v >= t_event[i]]
    left[i] <- if (length(before)) max(before) else 0
    right[i] <- if (length(after)) min(after) else Inf
  }
  data.frame(left = left, right = right, weight = 1)
}
datasets$clinic <- make_clinic(20240517, 300)

# 4b. The same design with another seed, where R's EM stops short of the
#     maximum even with the tight threshold. At its stopping point the
#     innermost interval (363, 364] days has a mass of about 1e-16 although
#     the gradient there is d_j / N = 1.027 > 1 (the maximum puts 0.032 on
#     it): EM can only regrow such a mass by 2.7% per iteration, so the change
#     per iteration is below the threshold and the loop ends. Plain EM run for
#     300000 iterations from uniform masses reaches our answer. The tests
#     check that our fit has the higher likelihood here (by 0.135) and that
#     R's solution fails the optimality check.
datasets$clinic_r_stalls <- make_clinic(8, 300)

# 5. Non-integer case weights.
datasets$weighted <- data.frame(
  left   = c(0,   0.5, 1,   1,   2,   2,   3,   0,   4,   1.5),
  right  = c(1,   2,   3,   Inf, 4,   2,   Inf, 2.5, 6,   4),
  weight = c(1.5, 0.7, 2.25, 1, 0.3, 1.2, 2, 0.9, 1.1, 0.6)
)

# 6. R's own aml data (survival package), exact and right-censored only: the
#    NPMLE is the Kaplan-Meier estimate. Weeks, not months; units do not matter.
datasets$aml <- data.frame(
  left = aml$time,
  right = ifelse(aml$status == 1, aml$time, Inf),
  weight = 1
)

# ----------------------------------------------------------------------------
# Fits
# ----------------------------------------------------------------------------

default_turnbull <- survival:::survfitTurnbull
tight_source <- deparse(default_turnbull)
stopifnot(sum(grepl("while (eps > 5e-05)", tight_source, fixed = TRUE)) == 1)
tight_source <- sub("while (eps > 5e-05)",
                    "while (eps > 1e-13 && iter < 200000)",
                    tight_source, fixed = TRUE)
stopifnot(sum(grepl("who <- (tfit$time < mintime", tight_source, fixed = TRUE)) == 1)
tight_source <- sub("who <- (tfit$time < mintime",
                    "assign(\".npmle_iter\", iter, envir = globalenv()); who <- (tfit$time < mintime",
                    tight_source, fixed = TRUE)
tight_turnbull <- eval(parse(text = tight_source))
environment(tight_turnbull) <- asNamespace("survival")

fit_with <- function(fun, d) {
  utils::assignInNamespace("survfitTurnbull", fun, ns = "survival")
  on.exit(utils::assignInNamespace("survfitTurnbull", default_turnbull, ns = "survival"))
  survfit(Surv(left, right, type = "interval2") ~ 1, data = d, weights = weight)
}

surv_at <- function(fit, times) {
  s <- summary(fit, times = times, extend = TRUE)$surv
  # the same from the step function, as a check on summary()
  idx <- findInterval(times, fit$time)
  step <- ifelse(idx == 0, 1, fit$surv[pmax(idx, 1)])
  stopifnot(length(s) == length(times), isTRUE(all.equal(s, step, tolerance = 1e-12)))
  s
}

fmt <- function(x) ifelse(is.infinite(x), "inf", sprintf("%.17g", x))

inputs <- list()
results <- list()
for (name in names(datasets)) {
  d <- datasets[[name]]
  times <- sort(unique(c(d$left, d$right[is.finite(d$right)])))
  if (name == "aml") {
    km <- survfit(Surv(left, is.finite(right)) ~ 1, data = d, weights = weight)
    s_default <- s_tight <- surv_at(km, times)
    r_fit <- "survfit(Surv(time; status) ~ 1)"
    iterations <- NA
  } else {
    default_fit <- fit_with(default_turnbull, d)
    tight_fit <- fit_with(tight_turnbull, d)
    iterations <- get(".npmle_iter", envir = globalenv())
    s_default <- surv_at(default_fit, times)
    s_tight <- surv_at(tight_fit, times)
    r_fit <- "survfit(Surv(l; r; type = interval2) ~ 1)"
  }
  cat(sprintf("%-10s n = %3d  endpoints = %3d  tight EM iterations = %6s  max |tight - default| = %.2e\n",
              name, nrow(d), length(times), iterations, max(abs(s_tight - s_default))))
  inputs[[name]] <- data.frame(dataset = name, left = fmt(d$left), right = fmt(d$right),
                               weight = fmt(d$weight))
  results[[name]] <- data.frame(dataset = name, time = fmt(times),
                                surv_tight = fmt(s_tight), surv_default = fmt(s_default),
                                r_fit = r_fit, r_iterations = iterations)
}

write.csv(do.call(rbind, inputs), file.path(out_dir, "npmle_inputs.csv"),
          row.names = FALSE, quote = FALSE)
write.csv(do.call(rbind, results), file.path(out_dir, "npmle.csv"),
          row.names = FALSE, quote = FALSE)
cat("wrote", file.path(out_dir, "npmle_inputs.csv"), "and", file.path(out_dir, "npmle.csv"), "\n")
