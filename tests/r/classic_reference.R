# Reference values for the Turnbull NPMLE (outcomes._npmle) on classic
# interval-censored data sets that this project did not make, computed with R.
#
# Written against R 4.2.2 (2022-11-10 r83330) with npsurv 0.5-0, KMsurv 0.1-5
# and survival 3.5-3 (Debian r-cran-npsurv, r-cran-kmsurv, r-cran-survival).
# Rerun from the repository root with
#
#     Rscript tests/r/classic_reference.R
#
# It rewrites, in tests/data/r_reference/,
#   classic_inputs.csv     dataset, left, right, weight (the data, "inf" for
#                          infinity, numbers as %.17g)
#   classic_npmle.csv      dataset, left, right, mass, loglik, maxgrad: npsurv's
#                          innermost intervals with positive mass, its
#                          log-likelihood and maximum gradient (the same on
#                          every row of a data set)
#   classic_landmarks.csv  dataset, months, identified, surv, surv_low,
#                          surv_high, surv_survfit (see below)
# Commit all three, so the tests (tests/test_classic_data.py) need no R. The
# script stops if the R or package versions differ from the ones above, unless
# CLASSIC_REFERENCE_ANY_VERSION=1 is set.
#
# Data sets
#   bcdeter_rt, bcdeter_rct  KMsurv::bcdeter (breast cosmesis deterioration,
#       months; Beadle et al. 1984, Finkelstein 1985), split by `treat`. The
#       KMsurv help says treat 1 = radiotherapy only, 2 = radiotherapy +
#       chemotherapy: bcdeter_rt is treat 1 (46 rows), bcdeter_rct is treat 2
#       (49 rows). (The help says 92 rows; the data have 95.)
#   cancer_rt, cancer_rct    npsurv::cancer (the same study, Finkelstein and
#       Wolfe 1985, as npsurv transcribes it), split by `group` (RT: 46 rows,
#       RCT: 48 rows). The RT arm is row for row the same multiset of
#       intervals as bcdeter's treat 1. The chemotherapy arms differ: only in
#       KMsurv are (14,19], a second (16,24], (21,Inf], (32,Inf] and the
#       exact times 34 and 48; only in npsurv are (15,19], (17,24], (22,Inf],
#       (33,Inf] and (48,Inf]. Both are used as the packages ship them.
#   marijuana  npsurv::marijuana (age in years at first marijuana use, 191
#       California high-school students, Turnbull and Weiss 1978): 21
#       distinct intervals with column count used as frequency weights
#       everywhere (npsurv's w, survfit's weights, our weights). The unit
#       here is years of age, not months; the column `months` of the
#       landmark file then holds years.
#
# Coding and semantics (checked, and what was converted)
#   * outcomes._npmle and survfit(Surv(l, r, type = "interval2") ~ 1) read a
#     row as (l, r]; l == r is an exact time; r = Inf is right-censored at l.
#   * KMsurv::bcdeter codes right-censoring as upper = NA: converted to Inf
#     (npsurv needs Inf; interval2 takes either). It has two rows with
#     lower == upper (treat 2, at 34 and 48 months), kept as exact times,
#     which is how both npsurv and interval2 read them. Left-censored rows
#     are (0, upper], an ordinary interval since T > 0.
#   * npsurv::cancer and npsurv::marijuana code right-censoring as R = Inf;
#     no exact times; left-censoring as (0, R]. Nothing converted.
#   * npsurv (help of npsurv, icendata, Deltamatrix) reads an observation as
#     (L, R] if L < R and [L, L] (an exact time) if L == R: the same as
#     interval2. Its Deltamatrix orders a right end before an equal left end
#     by adding max(finite R) * 1e-8 to every left end, which gives (L, R]
#     ties exactly for these integer-valued data. So no data set needed a
#     conversion between npsurv and survfit; the script checks it anyway:
#     npsurv's log-likelihood is recomputed from a containment matrix built
#     here from the (L, R] definition, and npsurv's support is checked to
#     lie among the innermost intervals found here from the ordered
#     endpoints (at equal values: exact-time left end, right ends, left ends).
#
# What is computed, per data set
#   1. npsurv(cbind(left, right), w = weight, tol = 1e-12, maxit = 10000):
#      tol is npsurv's threshold on the increase of the log-likelihood per
#      iteration (default 1e-6). Its innermost intervals with positive mass,
#      the masses, the log-likelihood sum_i w_i log P_i and the maximum
#      gradient max_j d_j - N (npsurv's maxgrad, not divided by N).
#   2. S(t) = P(T > t) at landmarks t = 1, 1.5, 2, ..., up to the largest
#      finite endpoint of the data (whole and half months, so landmarks fall
#      both on endpoints and strictly inside innermost intervals).
#      identified: FALSE when some innermost interval (q, p] with mass > 1e-9
#        has q < t < p (strictly); TRUE otherwise.
#      surv_low: sum of the masses that are > t even when placed as early as
#        possible (just after q for q < p: q >= t; at the point for q == p:
#        p > t). surv_high: sum of the masses with p > t (each placed at its
#        right end; an open-ended (q, Inf) interval counts for every finite t).
#        These are the smallest and largest S(t) over all placements of each
#        interval's mass inside it.
#      surv: the NPMLE's S(t) where identified (= surv_high), NA otherwise.
#      surv_survfit: survfit's S(t) where identified, NA otherwise, from
#        summary(fit, times = t, extend = TRUE); the script stops if it
#        differs from surv by more than 1e-8.
#   survfit is tightened as in tests/r/npmle_reference.R: the EM of
#   survival:::survfitTurnbull stops when S changes by less than 5e-5; a copy
#   with that threshold lowered to 1e-13 (and an iteration cap of 200000) is
#   put into the survival namespace for this session only.

suppressPackageStartupMessages({
  library(survival)
  library(npsurv)
  library(KMsurv)
})

expected <- c(R = "4.2.2", survival = "3.5.3", npsurv = "0.5.0", KMsurv = "0.1.5")
found <- c(R = paste(R.version$major, R.version$minor, sep = "."),
           survival = as.character(packageVersion("survival")),
           npsurv = as.character(packageVersion("npsurv")),
           KMsurv = as.character(packageVersion("KMsurv")))
if (Sys.getenv("CLASSIC_REFERENCE_ANY_VERSION") != "1" && !identical(expected, found)) {
  stop("expected ", paste(names(expected), expected, collapse = ", "),
       "; found ", paste(names(found), found, collapse = ", "),
       "; set CLASSIC_REFERENCE_ANY_VERSION=1 to run anyway")
}

out_dir <- file.path("tests", "data", "r_reference")
if (!dir.exists(out_dir)) stop("run from the repository root (", out_dir, " not found)")

mass_eps <- 1e-9   # a mass above this makes S(t) unidentified strictly inside its interval
survfit_tol <- 1e-8

# ----------------------------------------------------------------------------
# Data sets
# ----------------------------------------------------------------------------

data("bcdeter", package = "KMsurv", envir = environment())
data("cancer", package = "npsurv", envir = environment())
data("marijuana", package = "npsurv", envir = environment())

stopifnot(!anyNA(bcdeter$lower), all(bcdeter$treat %in% 1:2),
          all(is.na(bcdeter$upper) | bcdeter$upper >= bcdeter$lower))
stopifnot(!anyNA(cancer$L), !anyNA(cancer$R), all(cancer$R > cancer$L))
stopifnot(!anyNA(marijuana), all(marijuana[, "R"] > marijuana[, "L"]))

from_bcdeter <- function(arm) {
  d <- bcdeter[bcdeter$treat == arm, ]
  data.frame(left = as.numeric(d$lower),
             right = ifelse(is.na(d$upper), Inf, as.numeric(d$upper)),
             weight = 1)
}
from_cancer <- function(arm) {
  d <- cancer[as.character(cancer$group) == arm, ]
  data.frame(left = d$L, right = d$R, weight = 1)
}

datasets <- list(
  bcdeter_rt = from_bcdeter(1),
  bcdeter_rct = from_bcdeter(2),
  cancer_rt = from_cancer("RT"),
  cancer_rct = from_cancer("RCT"),
  marijuana = data.frame(left = as.numeric(marijuana[, "L"]),
                         right = as.numeric(marijuana[, "R"]),
                         weight = as.numeric(marijuana[, "count"]))
)

# the two transcriptions of the radiotherapy arm agree
key <- function(d) sort(paste(d$left, d$right))
stopifnot(identical(key(datasets$bcdeter_rt), key(datasets$cancer_rt)))

# ----------------------------------------------------------------------------
# Helpers written from the (L, R] definition
# ----------------------------------------------------------------------------

# Innermost intervals: in the ordered list of all endpoints (ties: the left end
# of an exact time, then right ends, then left ends), a left end immediately
# followed by a right end.
innermost <- function(d) {
  exact <- d$left == d$right
  ends <- rbind(data.frame(x = d$left, kind = ifelse(exact, 0, 2), is_left = TRUE),
                data.frame(x = d$right, kind = 1, is_left = FALSE))
  ends <- ends[order(ends$x, ends$kind), ]
  j <- which(ends$is_left[-nrow(ends)] & !ends$is_left[-1])
  unique(data.frame(left = ends$x[j], right = ends$x[j + 1]))
}

# covers[i, j]: observation i contains innermost interval j
covers <- function(d, q, p) {
  n <- nrow(d)
  m <- length(q)
  lo <- matrix(d$left, n, m)
  hi <- matrix(d$right, n, m)
  qq <- matrix(q, n, m, byrow = TRUE)
  pp <- matrix(p, n, m, byrow = TRUE)
  interval <- (lo <= qq) & (pp <= hi) & (lo < pp)   # (q, p] or the point p inside (l, r]
  point <- (qq == pp) & (pp == lo)                  # the exact time itself
  ifelse(lo == hi, point, interval)
}

loglik <- function(d, q, p, mass) {
  prob <- drop(covers(d, q, p) %*% mass)
  stopifnot(all(prob > 0))
  sum(d$weight * log(prob))
}

# ----------------------------------------------------------------------------
# survfit with a tightened EM (as tests/r/npmle_reference.R)
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

tight_survfit <- function(d) {
  utils::assignInNamespace("survfitTurnbull", tight_turnbull, ns = "survival")
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

fmt <- function(x) ifelse(is.na(x), "NA", ifelse(is.infinite(x), "inf", sprintf("%.17g", x)))

# ----------------------------------------------------------------------------
# Fits
# ----------------------------------------------------------------------------

inputs <- npmle <- landmarks <- list()
for (name in names(datasets)) {
  d <- datasets[[name]]

  fit <- npsurv(cbind(d$left, d$right), w = d$weight, tol = 1e-12, maxit = 10000)
  if (!isTRUE(fit$convergence)) stop(name, ": npsurv did not converge")
  q <- fit$f$left
  p <- fit$f$right
  mass <- fit$f$p
  stopifnot(all(mass > 0), abs(sum(mass) - 1) < 1e-12, all(diff(q) > 0))
  if (fit$maxgrad > 1e-6) stop(name, ": npsurv's maximum gradient is ", fit$maxgrad)

  # npsurv's support lies among the innermost intervals of (L, R] data, and
  # its log-likelihood is the one of (L, R] data
  inner <- innermost(d)
  stopifnot(all(paste(q, p) %in% paste(inner$left, inner$right)))
  ll_here <- loglik(d, q, p, mass)
  if (abs(ll_here - fit$ll) > 1e-9) stop(name, ": log-likelihood ", ll_here, " vs npsurv's ", fit$ll)

  # landmarks
  last <- max(c(d$left, d$right[is.finite(d$right)]))
  t <- seq(1, last, by = 0.5)
  heavy <- mass > mass_eps
  inside <- outer(t, q, ">") & outer(t, p, "<") & matrix(heavy, length(t), length(q), byrow = TRUE)
  identified <- rowSums(inside) == 0
  # early_gone[k, j]: mass j placed as early as it can be is <= t[k]
  point_mass <- matrix(q == p, length(t), length(q), byrow = TRUE)
  early_gone <- ifelse(point_mass, outer(t, p, ">="), outer(t, q, ">"))
  surv_low <- drop((!early_gone) %*% mass)
  surv_high <- drop(outer(t, p, "<") %*% mass)
  stopifnot(all(surv_low <= surv_high + 1e-15),
            all(abs(surv_high - surv_low)[identified] <= sum(mass[!heavy]) + 1e-15))
  surv <- ifelse(identified, surv_high, NA)

  sf <- tight_survfit(d)
  iterations <- get(".npmle_iter", envir = globalenv())
  s_survfit <- ifelse(identified, surv_at(sf, t), NA)
  gap <- max(abs(s_survfit - surv), na.rm = TRUE)
  if (gap > survfit_tol) stop(name, ": survfit and npsurv differ by ", gap)

  cat(sprintf(paste0("%-11s n = %3d (%3d rows)  support = %2d of %2d innermost  ",
                     "loglik = %.12f  maxgrad = %.2e  npsurv iter = %2d  ",
                     "landmarks = %3d (identified %3d)  survfit EM iter = %6d  ",
                     "max |survfit - npsurv| = %.2e\n"),
              name, as.integer(sum(d$weight)), nrow(d), length(q), nrow(inner),
              fit$ll, fit$maxgrad, fit$numiter, length(t), sum(identified),
              iterations, gap))

  inputs[[name]] <- data.frame(dataset = name, left = fmt(d$left), right = fmt(d$right),
                               weight = fmt(d$weight))
  npmle[[name]] <- data.frame(dataset = name, left = fmt(q), right = fmt(p), mass = fmt(mass),
                              loglik = fmt(fit$ll), maxgrad = fmt(fit$maxgrad))
  landmarks[[name]] <- data.frame(dataset = name, months = fmt(t),
                                  identified = identified, surv = fmt(surv),
                                  surv_low = fmt(surv_low), surv_high = fmt(surv_high),
                                  surv_survfit = fmt(s_survfit))
}

write_out <- function(parts, file) {
  write.csv(do.call(rbind, parts), file.path(out_dir, file), row.names = FALSE, quote = FALSE)
  cat("wrote", file.path(out_dir, file), "\n")
}
write_out(inputs, "classic_inputs.csv")
write_out(npmle, "classic_npmle.csv")
write_out(landmarks, "classic_landmarks.csv")

# Printed by the run that wrote the committed files (R 4.2.2, about 3 s), in
# short: n (rows), npsurv support / innermost intervals, log-likelihood,
# npsurv's max gradient, landmarks (identified), survfit's tight-EM
# iterations, max |survfit - npsurv| at identified landmarks:
#
#   bcdeter_rt   46 (46)   8/14  -58.060021953991   5.67e-10   95 (83)   73  2.32e-12
#   bcdeter_rct  49 (49)  10/18  -67.087661718775   7.11e-14  119 (107) 389  2.32e-13
#   cancer_rt    46 (46)   8/14  -58.060021953991   5.67e-10   95 (83)   73  2.32e-12
#   cancer_rct   48 (48)  11/18  -66.037570874190   2.13e-14  119 (76)  362  2.22e-14
#   marijuana   191 (21)   9/9  -289.527315007301   1.14e-13   37 (29)   17  2.22e-16
#
# npsurv needed 5 to 8 CNM iterations and reported convergence on all five;
# lowering its tol below 1e-12 (down to 0) changes nothing on cancer_rt, whose
# max gradient 5.7e-10 (1.2e-11 relative to N = 46) is at rounding level.
# bcdeter_rt and cancer_rt are the same data, so their values coincide.
# The chemotherapy arms differ between the transcriptions (see the header):
# e.g. S(24) = 0.4403 in cancer_rct, 0.4600 in bcdeter_rct, which puts
# point masses 0.1007 at 34 and 0.1076 at 48 months (its two exact times).
