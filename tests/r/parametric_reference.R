# Reference values for the parametric models (outcomes.parametric), computed
# with R's survreg.
#
# Written against R 4.2.2 (2022-11-10 r83330) with survival 3.5-3 (Debian
# r-cran-survival). Rerun from the repository root with
#
#     Rscript tests/r/parametric_reference.R
#
# It reads tests/data/r_reference/parametric_inputs.csv (written by
# `python tests/test_parametric.py`, from outcomes.datasets.simulate_intervals;
# the tests check that the file is what that code writes) and rewrites
# tests/data/r_reference/parametric.csv. Commit both, so the tests need no R.
# The script stops if the R or survival version differs from the one above,
# unless PARAMETRIC_REFERENCE_ANY_VERSION=1 is set.
#
# The inputs: months since the procedure, loss of relief in (lower, upper],
# upper = inf when not seen to end, lower = 0 when lost before the first visit.
#   dataset "intercept_only": 400 intervals, T ~ Weibull(shape 1.5, scale 12).
#   dataset "aft": 600 intervals, T ~ Weibull(shape 1.5, scale 12 * 0.5 [if
#     technique is "conventional", 240 rows; "cooled": 360] * 0.85^(kl_grade - 1)),
#     kl_grade 1-4; joint (knee / hip / shoulder) and age have no effect.
#
# Coding for survreg. Surv(l, r, type = "interval2") reads NA as an open end.
# upper = inf becomes r = NA (right-censored at l). lower = 0 becomes l = NA
# (left-censored at r): survreg 3.5-3 rejects l = 0 for distributions on log
# time ("Invalid survival times for this distribution", therneau/survival
# issue 234, fixed in a later version), and P(0 < T <= r) = P(T <= r) anyway.
# Factors have their most frequent level as reference (technique: cooled,
# joint: knee), as outcomes.parametric.fit_aft does.
#
# Fits use survreg.control(rel.tolerance = 1e-13) so that R's estimates are at
# the maximum to ~1e-10; the default 1e-9 changes the log-normal scale in the
# 9th digit only.
#
# parametric.csv, long format: model, quantity, value.
#   model "<dataset>/<dist>", dist weibull, loglogistic or lognormal.
#   intercept_only: loglik, intercept (mu of log T), scale (sigma),
#     var_intercept, var_log_scale, cov_intercept_log_scale (vcov(fit), on
#     (Intercept, Log(scale))), log_median and log_median_se
#     (predict(type = "uquantile", p = 0.5, se.fit = TRUE)), surv_<t> = S(t)
#     at t = 3, 6, 12, 24, 36 months, rmst_<tau> (integrate(S, 0, tau)) and
#     rmst_<tau>_se (delta method with vcov(fit), gradient by central
#     differences with step 1e-5) for tau = 24 and 36.
#   aft: loglik, scale, log_scale_se, coef:<term> and se:<term> for R's terms
#     (Intercept), techniqueconventional, kl_grade, jointhip, jointshoulder, age.

suppressPackageStartupMessages(library(survival))

expected_r <- "4.2.2"
expected_survival <- "3.5.3"
if (Sys.getenv("PARAMETRIC_REFERENCE_ANY_VERSION") != "1") {
  if (paste(R.version$major, R.version$minor, sep = ".") != expected_r ||
      as.character(packageVersion("survival")) != expected_survival) {
    stop("expected R ", expected_r, " and survival ", expected_survival,
         "; set PARAMETRIC_REFERENCE_ANY_VERSION=1 to run anyway")
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

one <- d[d$dataset == "intercept_only", ]
for (dist in dists) {
  fit <- survreg(Surv(l, r, type = "interval2") ~ 1, data = one, dist = dist, control = ctl)
  model <- paste0("intercept_only/", dist)
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
  q <- predict(fit, newdata = one[1, ], type = "uquantile", p = 0.5, se.fit = TRUE)
  add(model, "log_median", q$fit)
  add(model, "log_median_se", q$se.fit)
  for (t in c(3, 6, 12, 24, 36)) add(model, paste0("surv_", t), surv(t, mu, sigma, dist))
  for (tau in c(24, 36)) {
    h <- 1e-5
    g <- c((rmst(mu + h, sigma, dist, tau) - rmst(mu - h, sigma, dist, tau)) / (2 * h),
           (rmst(mu, sigma * exp(h), dist, tau) - rmst(mu, sigma * exp(-h), dist, tau)) / (2 * h))
    add(model, paste0("rmst_", tau), rmst(mu, sigma, dist, tau))
    add(model, paste0("rmst_", tau, "_se"), sqrt(drop(t(g) %*% v %*% g)))
  }
  cat(sprintf("%-28s loglik %.6f  mu %.6f  sigma %.6f  iterations %d\n",
              model, fit$loglik[2], mu, sigma, fit$iter))
}

aft <- d[d$dataset == "aft", ]
aft$technique <- relevel(factor(aft$technique), ref = "cooled")
aft$joint <- relevel(factor(aft$joint), ref = "knee")
stopifnot(names(which.max(table(aft$technique))) == "cooled",
          names(which.max(table(aft$joint))) == "knee")
for (dist in dists) {
  fit <- survreg(Surv(l, r, type = "interval2") ~ technique + kl_grade + joint + age,
                 data = aft, dist = dist, control = ctl)
  model <- paste0("aft/", dist)
  b <- coef(fit)
  se <- sqrt(diag(vcov(fit)))
  add(model, "loglik", fit$loglik[2])
  add(model, "scale", fit$scale)
  add(model, "log_scale_se", se[["Log(scale)"]])
  for (term in names(b)) {
    add(model, paste0("coef:", term), b[[term]])
    add(model, paste0("se:", term), se[[term]])
  }
  cat(sprintf("%-28s loglik %.6f  scale %.6f  technique TR %.4f  iterations %d\n",
              model, fit$loglik[2], fit$scale, exp(b[["techniqueconventional"]]), fit$iter))
}

write.csv(do.call(rbind, rows), file.path(out_dir, "parametric.csv"),
          row.names = FALSE, quote = FALSE)
cat("wrote", file.path(out_dir, "parametric.csv"), "\n")
