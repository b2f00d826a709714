# Reference confidence limits of cumulative incidence (Aalen-Johansen) at given
# times, R survival 3.5-3 multi-state survfit with its default conf.type ("log").
# Input: the sim_cr data set of tests/data/r_reference/aj_inputs.csv.
# Rerun from the repository root:
#   Rscript tests/r/cif_ci_reference.R > tests/data/r_reference/cif_ci.csv
suppressMessages(library(survival))
d <- read.csv("tests/data/r_reference/aj_inputs.csv")
d <- d[d$dataset == "sim_cr", ]
fit <- survfit(Surv(time, factor(cause, 0:max(d$cause))) ~ 1, data = d)
times <- as.numeric(quantile(d$time, c(0.1, 0.3, 0.5, 0.7)))
s <- summary(fit, times = times)
states <- s$states
out <- do.call(rbind, lapply(seq_along(states)[-1], function(k) {
  data.frame(cause = k - 1, time = s$time, estimate = s$pstate[, k],
             lower = s$lower[, k], upper = s$upper[, k])
}))
write.csv(format(out, digits = 15), stdout(), row.names = FALSE, quote = FALSE)
