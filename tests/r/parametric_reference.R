# Reference values for the parametric models (outcomes.parametric), computed
# with R's survreg.
#
# Written against R 4.2.2 (2022-11-10 r83330) with survival 3.5-3 (Debian
# r-cran-survival) and KMsurv 0.1-5 (Debian r-cran-kmsurv). Rerun from the
# repository root with
#
#     Rscript tests/r/parametric_reference.R
#
# It reads tests/data/r_reference/parametric_inputs.csv (written by
# `python tests/test_parametric.py`, from outcomes.datasets.simulate_intervals;
# the tests check that the file is what that code writes), writes
# tests/data/r_reference/parametric_bcdeter.csv (KMsurv's bcdeter as it is, so
# the tests need no R) and rewrites tests/data/r_reference/parametric.csv.
# Commit all three. The script stops if the R, survival or KMsurv version
# differs from the one above, unless PARAMETRIC_REFERENCE_ANY_VERSION=1 is set.
#
# The inputs: months since the procedure, loss of relief in (lower, upper],
# upper = inf when not seen to end, lower = 0 when lost before the first visit.
#   dataset "intercept_only": 400 intervals, T ~ Weibull(shape 1.5, scale 12).
#   dataset "aft": 600 intervals, T ~ Weibull(shape 1.5, scale 12 * 0.5 [if
#     technique is "conventional", 240 rows; "cooled": 360] * 0.85^(kl_grade - 1)),
#     kl_grade 1-4; joint (knee / hip / shoulder) and age have no effect.
# And real data: KMsurv::bcdeter, breast cosmesis (Klein and Moeschberger,
# section 1.18; Beadle et al. 1984): months to cosmetic deterioration in
# (lower, upper], upper NA when not seen (right-censored), lower 0 when seen at
# the first visit; treat 1 = radiotherapy alone (46), 2 = radiotherapy and
# chemotherapy (49). Two rows of arm 2 have lower == upper ((34, 34] and
# (48, 48]): an empty (lower, upper] interval, read by survreg as an exact
# time, which outcomes does not use (its data contract is lower < upper). They
# are left out here and in the tests, leaving 93 rows (46 and 47). npsurv's
# transcription of the same data (`cancer`) has no such rows.
#
# Coding for survreg. Surv(l, r, type = "interval2") reads NA as an open end.
# upper = inf becomes r = NA (right-censored at l). lower = 0 becomes l = NA
# (left-censored at r): survreg 3.5-3 rejects l = 0 for distributions on log
# time ("Invalid survival times for this distribution", therneau/survival
# issue 234, fixed in a later version), and P(0 < T <= r) = P(T <= r) anyway.
# A row with both (lower 0 and upper inf; two in "intercept_only") is NA to
# survreg and left out; it adds log 1 = 0 to the log-likelihood either way.
# Factors have their most frequent level as reference (technique: cooled,
# joint: knee), as outcomes.parametric.fit_aft does.
#
# Fits use survreg.control(rel.tolerance = 1e-13) so that R's estimates are at
# the maximum to ~1e-10; the default 1e-9 changes the log-normal scale in the
# 9th digit only. R's gradient at its estimate comes from its own derivatives,
# residuals(fit, type = "matrix"), with a sign error of survival 3.5-3 mended
# and checked against central differences (see gradient() below).
#
# What the tests compare (tests/test_parametric.py states each tolerance): the
# log-likelihood (outcomes' must be at least R's, less rounding), outcomes'
# own gradient (R's is written here to show that both sit at the maximum), the
# estimates to a fraction of R's standard errors, and the standard errors,
# S(t), medians and restricted means derived from them.
#
# parametric.csv, long format: model, quantity, value.
#   model "<dataset>/<dist>", dist weibull, loglogistic or lognormal; dataset
#     intercept_only, aft, bcdeter_arm1 and bcdeter_arm2 (intercept only, per
#     arm) and bcdeter_aft (~ treat, reference arm 2, the more frequent one, as
#     outcomes.parametric.fit_aft takes it; its term is treat1).
#   every model: grad:<parameter> for (Intercept), the terms and Log(scale):
#     R's gradient of the log-likelihood at its estimate, and grad_max, the
#     largest of their absolute values.
#   intercept_only and bcdeter_arm*: loglik, intercept (mu of log T), scale (sigma),
#     var_intercept, var_log_scale, cov_intercept_log_scale (vcov(fit), on
#     (Intercept, Log(scale))), log_median and log_median_se
#     (predict(type = "uquantile", p = 0.5, se.fit = TRUE)), surv_<t> = S(t)
#     at t = 3, 6, 12, 24, 36 months (bcdeter: 12, 24, 36, 48, 60),
#     rmst_<tau> (integrate(S, 0, tau)) and rmst_<tau>_se (delta method with
#     vcov(fit), gradient by central differences with step 1e-5) for tau = 24
#     and 36 (bcdeter: 48).
#   aft and bcdeter_aft: loglik, scale, log_scale_se, coef:<term> and
#     se:<term> for R's terms: (Intercept), techniqueconventional, kl_grade,
#     jointhip, jointshoulder, age; bcdeter: (Intercept), treat1.

suppressPackageStartupMessages({
  library(survival)
  library(KMsurv)
})

expected_r <- "4.2.2"
expected_survival <- "3.5.3"
expected_kmsurv <- "0.1.5"
if (Sys.getenv("PARAMETRIC_REFERENCE_ANY_VERSION") != "1") {
  if (paste(R.version$major, R.version$minor, sep = ".") != expected_r ||
      as.character(packageVersion("survival")) != expected_survival ||
      as.character(packageVersion("KMsurv")) != expected_kmsurv) {
    stop("expected R ", expected_r, ", survival ", expected_survival, " and KMsurv ",
         expected_kmsurv, "; set PARAMETRIC_REFERENCE_ANY_VERSION=1 to run anyway")
  }
}

out_dir <- file.path("tests", "data", "r_reference")
if (!dir.exists(out_dir)) stop("run from the repository root (", out_dir, " not found)")

d <- read.csv(file.path(out_dir, "parametric_inputs.csv"), stringsAsFactors = FALSE)
stopifnot(all(d$lower_months < d$upper_months), all(d$lower_months >= 0))
d$l <- ifelse(d$lower_months == 0, NA, d$lower_months)
d$r <- ifelse(is.infinite(d$upper_months), NA, d$upper_months)

ctl <- survreg.control(rel.tolerance = 1e-13, maxiter = 200)
dists <- c("weibull", "loglogistic", "lognormal")
fmt <- function(x) sprintf("%.17g", x)
rows <- list()
add <- function(model, quantity, value) {
  rows[[length(rows) + 1]] <<- data.frame(model = model, quantity = quantity, value = fmt(value))
}

# S(t) for a log-location-scale model with location mu and scale sigma
surv <- function(t, mu, sigma, dist) 1 - psurvreg(t, mean = mu, scale = sigma, distribution = dist)
rmst <- function(mu, sigma, dist, tau) {
  integrate(function(t) surv(t, mu, sigma, dist), 0, tau, rel.tol = 1e-12)$value
}

# R's gradient of the log-likelihood at its estimate, from its own derivatives (fits are made
# with model = TRUE, so that the model frame is at hand). d L / d(linear predictor) is column
# dg of residuals(fit, type = "matrix"). Its column ds, d L / d log(scale), has the wrong sign
# on interval-censored rows (status 3) in survival 3.5-3: it takes z2 f(z2) - z f(z) where
# the derivative of log(S(z) - S(z2)) is z f(z) - z2 f(z2); those rows are negated here.
# Both are checked against central differences of the log-likelihood written out with
# psurvreg, in steps of 1e-4 standard errors, to 1e-6 in units of 1 / standard error (the
# uncorrected ds is off by about 10 there).
gradient <- function(fit, data) {
  m <- residuals(fit, type = "matrix")
  stopifnot(abs(sum(m[, "g"]) - fit$loglik[2]) < 1e-9 * abs(fit$loglik[2]))
  x <- model.matrix(terms(fit), fit$model)
  data <- data[!(is.na(data$l) & is.na(data$r)), ]  # (0, inf): NA to survreg, 0 to L
  stopifnot(identical(colnames(x), names(coef(fit))), nrow(x) == nrow(m), nrow(x) == nrow(data))
  status <- fit$y[, ncol(fit$y)]
  g <- c(colSums(x * m[, "dg"]), "Log(scale)" = sum(ifelse(status == 3, -1, 1) * m[, "ds"]))

  loglik <- function(theta) {
    eta <- drop(x %*% theta[-length(theta)])
    scale <- exp(theta[length(theta)])
    s_l <- ifelse(is.na(data$l), 1, 1 - psurvreg(data$l, eta, scale, fit$dist))
    s_r <- ifelse(is.na(data$r), 0, 1 - psurvreg(data$r, eta, scale, fit$dist))
    sum(log(s_l - s_r))
  }
  theta <- c(coef(fit), log(fit$scale))
  se <- sqrt(diag(vcov(fit)))
  stopifnot(abs(loglik(theta) - fit$loglik[2]) < 1e-9 * abs(fit$loglik[2]))
  numeric <- sapply(seq_along(theta), function(k) {
    h <- replace(0 * theta, k, 1e-4 * se[k])
    (loglik(theta + h) - loglik(theta - h)) / (2 * h[k])
  })
  stopifnot(max(abs(numeric - g) * se) < 1e-6)
  g
}
add_gradient <- function(model, fit, data) {
  g <- gradient(fit, data)
  for (name in names(g)) add(model, paste0("grad:", name), g[[name]])
  add(model, "grad_max", max(abs(g)))
  max(abs(g))
}

# Intercept-only fits: estimates, variance, median, S(t) at `times`, restricted means to `taus`
intercept_only <- function(data, name, times, taus) {
  for (dist in dists) {
    fit <- survreg(Surv(l, r, type = "interval2") ~ 1, data = data, dist = dist, control = ctl,
                   model = TRUE)
    model <- paste0(name, "/", dist)
    mu <- unname(coef(fit)[1])
    sigma <- fit$scale
    v <- vcov(fit)
    stopifnot(identical(rownames(v), c("(Intercept)", "Log(scale)")))
    # psurvreg's parameterisation is survreg's: check one value by hand
    z <- (log(6) - mu) / sigma
    s_hand <- switch(dist, weibull = exp(-exp(z)), loglogistic = 1 / (1 + exp(z)),
                     lognormal = pnorm(-z))
    stopifnot(abs(surv(6, mu, sigma, dist) - s_hand) < 1e-14)

    add(model, "loglik", fit$loglik[2])
    add(model, "intercept", mu)
    add(model, "scale", sigma)
    add(model, "var_intercept", v[1, 1])
    add(model, "var_log_scale", v[2, 2])
    add(model, "cov_intercept_log_scale", v[1, 2])
    q <- predict(fit, newdata = data[1, ], type = "uquantile", p = 0.5, se.fit = TRUE)
    add(model, "log_median", q$fit)
    add(model, "log_median_se", q$se.fit)
    for (t in times) add(model, paste0("surv_", t), surv(t, mu, sigma, dist))
    for (tau in taus) {
      h <- 1e-5
      g <- c((rmst(mu + h, sigma, dist, tau) - rmst(mu - h, sigma, dist, tau)) / (2 * h),
             (rmst(mu, sigma * exp(h), dist, tau) - rmst(mu, sigma * exp(-h), dist, tau)) /
               (2 * h))
      add(model, paste0("rmst_", tau), rmst(mu, sigma, dist, tau))
      add(model, paste0("rmst_", tau, "_se"), sqrt(drop(t(g) %*% v %*% g)))
    }
    g_max <- add_gradient(model, fit, data)
    cat(sprintf("%-28s loglik %.6f  mu %.6f  sigma %.6f  |gradient| %.1e  iterations %d\n",
                model, fit$loglik[2], mu, sigma, g_max, fit$iter))
  }
}

# Regressions: coefficients, standard errors, scale
regression <- function(data, name, rhs) {
  formula <- update(rhs, Surv(l, r, type = "interval2") ~ .)
  for (dist in dists) {
    fit <- survreg(formula, data = data, dist = dist, control = ctl, model = TRUE)
    model <- paste0(name, "/", dist)
    b <- coef(fit)
    se <- sqrt(diag(vcov(fit)))
    add(model, "loglik", fit$loglik[2])
    add(model, "scale", fit$scale)
    add(model, "log_scale_se", se[["Log(scale)"]])
    for (term in names(b)) {
      add(model, paste0("coef:", term), b[[term]])
      add(model, paste0("se:", term), se[[term]])
    }
    g_max <- add_gradient(model, fit, data)
    cat(sprintf("%-28s loglik %.6f  scale %.6f  time ratio %.4f  |gradient| %.1e  iterations %d\n",
                model, fit$loglik[2], fit$scale, exp(b[[2]]), g_max, fit$iter))
  }
}

intercept_only(d[d$dataset == "intercept_only", ], "intercept_only",
               times = c(3, 6, 12, 24, 36), taus = c(24, 36))

aft <- d[d$dataset == "aft", ]
aft$technique <- relevel(factor(aft$technique), ref = "cooled")
aft$joint <- relevel(factor(aft$joint), ref = "knee")
stopifnot(names(which.max(table(aft$technique))) == "cooled",
          names(which.max(table(aft$joint))) == "knee")
regression(aft, "aft", ~ technique + kl_grade + joint + age)

data(bcdeter, package = "KMsurv")
stopifnot(nrow(bcdeter) == 95, identical(names(bcdeter), c("lower", "upper", "treat")))
write.csv(bcdeter, file.path(out_dir, "parametric_bcdeter.csv"), row.names = FALSE, quote = FALSE)
bc <- bcdeter[is.na(bcdeter$upper) | bcdeter$lower < bcdeter$upper, ]
stopifnot(nrow(bc) == 93, all(bc$lower >= 0))
bc$l <- ifelse(bc$lower == 0, NA, bc$lower)
bc$r <- bc$upper
for (arm in 1:2) {
  intercept_only(bc[bc$treat == arm, ], paste0("bcdeter_arm", arm),
                 times = c(12, 24, 36, 48, 60), taus = 48)
}
bc$treat <- relevel(factor(bc$treat), ref = "2")
stopifnot(names(which.max(table(bc$treat))) == "2")
regression(bc, "bcdeter_aft", ~ treat)

write.csv(do.call(rbind, rows), file.path(out_dir, "parametric.csv"),
          row.names = FALSE, quote = FALSE)
cat("wrote", file.path(out_dir, "parametric.csv"), "and parametric_bcdeter.csv\n")
