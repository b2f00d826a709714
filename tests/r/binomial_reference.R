# Reference values for outcomes._binomial: Wilson and exact binomial intervals.
# R 4.x, stats package. Rerun from the repository root:
#   Rscript tests/r/binomial_reference.R > tests/data/r_reference/binomial.csv
cases <- data.frame(k = c(0, 1, 5, 37, 50, 58, 99, 100), n = c(10, 10, 20, 52, 100, 100, 100, 100))
out <- do.call(rbind, lapply(seq_len(nrow(cases)), function(i) {
  k <- cases$k[i]; n <- cases$n[i]
  w <- prop.test(k, n, correct = FALSE)$conf.int
  b <- binom.test(k, n, p = 0.58)
  data.frame(k = k, n = n, wilson_lower = w[1], wilson_upper = w[2],
             exact_lower = b$conf.int[1], exact_upper = b$conf.int[2],
             p_vs_058 = b$p.value)
}))
write.csv(format(out, digits = 15), stdout(), row.names = FALSE, quote = FALSE)
