#include <cblas.h>

// OpenBLAS ships LAPACK inside libopenblas but Debian installs no lapack.h
// beside cblas.h, so the few Fortran entry points nnc calls are declared here.
// All arguments are passed by pointer, matrices are column-major.

/// Cholesky factorization of a symmetric positive definite matrix.
void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info);
void spotrf_(const char *uplo, const int *n, float *a, const int *lda, int *info);
/// Solves A X = B with the factor from ?potrf.
void dpotrs_(const char *uplo, const int *n, const int *nrhs, const double *a,
             const int *lda, double *b, const int *ldb, int *info);
void spotrs_(const char *uplo, const int *n, const int *nrhs, const float *a,
             const int *lda, float *b, const int *ldb, int *info);
