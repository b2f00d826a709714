# Reference values for the smooth relief curve (outcomes._spline): Royston-Parmar
# splines for interval-censored durations, written out in R independently of the
# Python code, and survreg's Weibull fit.
#
# Written against R 4.2.2 (2022-11-10 r83330) with survival 3.5-3 (Debian
# r-cran-survival); base R (stats) otherwise, no flexsurv or rstpm2. Rerun from the
# repository root with
#
#     .venv/bin/python tests/test_spline.py     # rewrites the inputs
#     Rscript tests/r/spline_reference.R
#
# It reads tests/data/r_reference/spline_inputs.csv (written by `python
# tests/test_spline.py` from outcomes.datasets.simulate_intervals; the tests check the
# file is what that code writes) and rewrites tests/data/r_reference/spline.csv. Commit
# both, so the tests need no R. The script stops if the R or survival version differs
# from the one above, unless SPLINE_REFERENCE_ANY_VERSION=1 is set.
#
# Inputs: months since the procedure, loss of relief in (lower, upper], upper = inf
# when not seen to end, lower = 0 when lost before the first visit.
#   "weibull":   400 intervals, T ~ Weibull(shape 1.5, scale 12), 15% missed visits
#                (the same data as parametric_inputs.csv's "intercept_only").
#   "clustered": 500 procedures of patients (35% bilateral, 25% repeats, correlation
#                0.6), T ~ Weibull(0.8, 10), 20% missed visits; column patient.
#   "mixture":   300 with T ~ Weibull(3, 3) and 300 with Weibull(1.2, 20): far from
#                Weibull, so the spline terms matter.
#
# What is compared (spline.csv, long format: dataset, model, quantity, value):
#   model "survreg": survreg(Surv(l, r, type = "interval2") ~ 1, dist = "weibull") with
#     rel.tolerance 1e-13 (l = 0 coded NA: survreg 3.5-3 rejects 0 for log-time
#     distributions, issue therneau/survival#234; upper = inf coded NA). loglik and
#     surv_<t>. The Python df = 1 spline must equal them to 1e-7.
#   model "df<k>", k = 1..4: the Royston-Parmar likelihood coded here from the paper's
#     formulas, with the knot rule of outcomes._spline: boundary knots at the log of
#     the smallest positive and the largest finite endpoint; k - 1 interior knots at
#     the quantiles j / k (type 1: observed values) of the log endpoints bracketing a
#     seen loss (lower if > 0, and upper, of every interval with a finite upper end).
#     Fitted by optim (BFGS, analytic gradient, reltol 1e-15) from survreg's Weibull,
#     then Newton steps with optimHess (central differences of the gradient, step
#     1e-6) until the step is below 1e-10. Quantities: knot_<j> (log months), loglik,
#     coef_<j>, surv_<t>, se_<j> (inverse observed information), log_median and
#     log_median_se (delta method, implicit function theorem); for "clustered" also
#     robust_se_<j> (sandwich over patients with G / (G - 1)). Python must match
#     loglik and S(t) to 1e-6.
#   model "ma12": df 1 and 2 averaged with Akaike weights: weight_<k>, median (where the
#     averaged log cumulative hazard is log log 2) and lower / upper, the MATA-Wald
#     limits (Turek & Fletcher 2012), solved with uniroot.

suppressPackageStartupMessages(library(survival))

expected_r <- "4.2.2"
expected_survival <- "3.5.3"
if (Sys.getenv("SPLINE_REFERENCE_ANY_VERSION") != "1") {
  if (paste(R.version$major, R.version$minor, sep = ".") != expected_r ||
      as.character(packageVersion("survival")) != expected_survival) {
    stop("expected R ", expected_r, " and survival ", expected_survival,
         "; set SPLINE_REFERENCE_ANY_VERSION=1 to run anyway")
  }
}

out_dir <- file.path("tests", "data", "r_reference")
if (!dir.exists(out_dir)) stop("run from the repository root (", out_dir, " not found)")
inputs <- read.csv(file.path(out_dir, "spline_inputs.csv"), stringsAsFactors = FALSE)
stopifnot(all(inputs$lower_months < inputs$upper_months), all(inputs$lower_months >= 0))

grid <- c(0.5, 1, 2, 3, 4.5, 6, 9, 12, 15, 18, 21, 24)
at_median <- log(log(2))
z <- qnorm(0.975)
fmt <- function(x) sprintf("%.17g", x)
rows <- list()
add <- function(dataset, model, quantity, value) {
  rows[[length(rows) + 1]] <<- data.frame(dataset = dataset, model = model,
                                          quantity = quantity, value = fmt(value))
}

# Royston & Parmar (2002) basis: 1, x, v_j(x) with
# v_j(x) = (x - k_j)^3_+ - lambda_j (x - k_min)^3_+ - (1 - lambda_j) (x - k_max)^3_+
rp_basis <- function(x, knots) {
  n <- length(knots)
  b <- cbind(1, x)
  if (n > 2) {
    kmin <- knots[1]; kmax <- knots[n]
    for (k in knots[2:(n - 1)]) {
      lam <- (kmax - k) / (kmax - kmin)
      b <- cbind(b, pmax(x - k, 0)^3 - lam * pmax(x - kmin, 0)^3 - (1 - lam) * pmax(x - kmax, 0)^3)
    }
  }
  b
}
rp_dbasis <- function(x, knots) {
  n <- length(knots)
  b <- cbind(0, rep(1, length(x)))
  if (n > 2) {
    kmin <- knots[1]; kmax <- knots[n]
    for (k in knots[2:(n - 1)]) {
      lam <- (kmax - k) / (kmax - kmin)
      b <- cbind(b, 3 * (pmax(x - k, 0)^2 - lam * pmax(x - kmin, 0)^2 -
                           (1 - lam) * pmax(x - kmax, 0)^2))
    }
  }
  b
}

knot_rule <- function(l, r, df) {
  ends <- c(l, r)
  ends <- ends[is.finite(ends) & ends > 0]
  seen <- is.finite(r)
  bracket <- c(l[seen & l > 0], r[seen])
  inner <- if (df > 1) quantile(log(bracket), probs = (1:(df - 1)) / df, type = 1, names = FALSE)
  unique(c(log(min(ends)), inner, log(max(ends))))
}

# per-row log P(l < T <= r) = -H(l) + log(1 - exp(-(H(r) - H(l)))), H(0) = 0, H(inf) = inf
# (NaN where a trial step of optim makes H decrease, H(r) < H(l): loglik() then returns
# -1e300, so optim backs off; the warning it would raise is expected and muted.)
row_loglik <- function(g, d) {
  hl <- ifelse(d$l > 0, exp(drop(d$bl %*% g)), 0)
  hr <- ifelse(is.finite(d$r), exp(drop(d$br %*% g)), Inf)
  suppressWarnings(-hl + log(-expm1(-(hr - hl))))
}
loglik <- function(g, d) {
  v <- sum(row_loglik(g, d))
  if (is.finite(v)) v else -1e300
}
# per-row score: (-S(l) H(l) B(l) + S(r) H(r) B(r)) / P, with a_l = S(l) / P, a_r = S(r) / P
row_scores <- function(g, d) {
  hl <- ifelse(d$l > 0, exp(drop(d$bl %*% g)), 0)
  hr <- ifelse(is.finite(d$r), exp(drop(d$br %*% g)), Inf)
  delta <- hr - hl
  a_l <- 1 / (-expm1(-delta))
  ahr <- ifelse(is.finite(d$r), hr / expm1(delta), 0)
  -a_l * hl * d$bl + ahr * d$br
}
gradient <- function(g, d) colSums(row_scores(g, d))

# Hessian by central differences of the analytic gradient, step 1e-6 (optimHess's default
# step, 1e-3, leaves errors of ~1e-3 in the standard errors)
hessian <- function(g, d) optimHess(g, loglik, gradient, d = d,
                                    control = list(ndeps = rep(1e-6, length(g))))

fit_rp <- function(d, knots, start) {
  d$bl <- rp_basis(ifelse(d$l > 0, log(d$l), 0), knots)
  d$br <- rp_basis(ifelse(is.finite(d$r), log(d$r), 0), knots)
  g <- c(start, rep(0, length(knots) - 2))
  opt <- optim(g, loglik, gradient, d = d, method = "BFGS",
               control = list(fnscale = -1, reltol = 1e-15, maxit = 10000))
  g <- opt$par
  for (i in 1:50) {
    h <- hessian(g, d)
    step <- -solve(h, gradient(g, d))
    g <- g + step
    if (max(abs(step)) < 1e-10) break
  }
  h <- hessian(g, d)
  list(g = g, knots = knots, loglik = sum(row_loglik(g, d)), hessian = h, d = d,
       newton_steps = i)
}

s_of <- function(fit, x) drop(rp_basis(x, fit$knots) %*% fit$g)
log_median <- function(fit) {
  k <- fit$knots
  x <- uniroot(function(u) s_of(fit, u) - at_median, c(k[1] - 5, k[length(k)]),
               tol = 1e-14)$root
  b <- rp_basis(x, k)
  slope <- drop(rp_dbasis(x, k) %*% fit$g)
  v <- solve(-fit$hessian)
  list(x = x, se = sqrt(drop(b %*% v %*% t(b))) / slope)
}

for (name in unique(inputs$dataset)) {
  d0 <- inputs[inputs$dataset == name, ]
  d <- list(l = d0$lower_months, r = d0$upper_months)
  # survreg's Weibull
  sv <- data.frame(l = ifelse(d$l == 0, NA, d$l), r = ifelse(is.finite(d$r), d$r, NA))
  sr <- survreg(Surv(l, r, type = "interval2") ~ 1, data = sv, dist = "weibull",
                control = survreg.control(rel.tolerance = 1e-13, maxiter = 200))
  mu <- unname(coef(sr)[1]); sigma <- sr$scale
  add(name, "survreg", "loglik", sr$loglik[2])
  for (t in grid) add(name, "survreg", paste0("surv_", t), exp(-exp((log(t) - mu) / sigma)))
  start <- c(-mu / sigma, 1 / sigma)
  fits <- list()
  for (df in 1:4) {
    knots <- knot_rule(d$l, d$r, df)
    stopifnot(length(knots) == df + 1)
    fit <- fit_rp(d, knots, start)
    fits[[df]] <- fit
    model <- paste0("df", df)
    for (j in seq_along(knots)) add(name, model, paste0("knot_", j - 1), knots[j])
    add(name, model, "loglik", fit$loglik)
    v <- solve(-fit$hessian)
    for (j in seq_along(fit$g)) {
      add(name, model, paste0("coef_", j - 1), fit$g[j])
      add(name, model, paste0("se_", j - 1), sqrt(v[j, j]))
    }
    for (t in grid) add(name, model, paste0("surv_", t), exp(-exp(s_of(fit, log(t)))))
    m <- log_median(fit)
    add(name, model, "log_median", m$x)
    add(name, model, "log_median_se", m$se)
    if (name == "clustered") {
      u <- rowsum(row_scores(fit$g, fit$d), d0$patient)
      n_g <- nrow(u)
      robust <- v %*% (n_g / (n_g - 1) * crossprod(u)) %*% v
      for (j in seq_along(fit$g)) add(name, model, paste0("robust_se_", j - 1), sqrt(robust[j, j]))
    }
    cat(sprintf("%-10s df %d  loglik %.8f  median %.5f  newton steps %d  |grad| %.1e\n", name, df,
                fit$loglik, exp(m$x), fit$newton_steps, sqrt(sum(gradient(fit$g, fit$d)^2))))
  }
  # df 1 and 2 averaged with Akaike weights; MATA-Wald interval of the log median
  aic <- sapply(fits[1:2], function(f) -2 * f$loglik + 2 * length(f$g))
  w <- exp(-(aic - min(aic)) / 2); w <- w / sum(w)
  s_bar <- function(x) w[1] * s_of(fits[[1]], x) + w[2] * s_of(fits[[2]], x)
  k <- fits[[1]]$knots
  x_bar <- uniroot(function(u) s_bar(u) - at_median, c(k[1] - 5, k[2]), tol = 1e-14)$root
  ms <- lapply(fits[1:2], log_median)
  theta <- sapply(ms, `[[`, "x"); se <- sapply(ms, `[[`, "se")
  tail_area <- function(x) sum(w * pnorm((theta - x) / se))
  span <- c(min(theta - 12 * se), max(theta + 12 * se))
  lower <- uniroot(function(x) tail_area(x) - 0.975, span, tol = 1e-14)$root
  upper <- uniroot(function(x) tail_area(x) - 0.025, span, tol = 1e-14)$root
  add(name, "ma12", "weight_1", w[1]); add(name, "ma12", "weight_2", w[2])
  add(name, "ma12", "median", exp(x_bar))
  add(name, "ma12", "lower", exp(lower)); add(name, "ma12", "upper", exp(upper))
  cat(sprintf("%-10s survreg loglik %.8f; average of df 1, 2: weights %.4f %.4f, median %.4f (%.4f-%.4f)\n",
              name, sr$loglik[2], w[1], w[2], exp(x_bar), exp(lower), exp(upper)))
}

write.csv(do.call(rbind, rows), file.path(out_dir, "spline.csv"), row.names = FALSE, quote = FALSE)
cat("wrote", file.path(out_dir, "spline.csv"), "\n")
