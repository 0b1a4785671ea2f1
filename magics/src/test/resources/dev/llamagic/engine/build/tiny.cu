// A minimal kernel: its object file is a fixture for the fatbin reader (FatBinaryTest).
__global__ void add_one(float *x, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) x[i] += 1.0f;
}
void launch(float *x, int n) { add_one<<<(n + 255) / 256, 256>>>(x, n); }
