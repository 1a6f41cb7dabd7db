// The short-time Fourier transform the module's stages share (cv::dft over blocks of frames).
#pragma once

#include <complex>
#include <span>
#include <vector>

namespace tyto::drums::detail {

// Frames of a Hann-windowed STFT, frame i centred on sample i · hop (the signal is zero-padded by
// n_fft / 2 at both ends); bins = n_fft / 2 + 1, stored frame by frame.
struct Stft {
  int n_fft = 0, hop = 0, frames = 0, bins = 0;
  std::vector<std::complex<float>> data;
  std::complex<float>* frame(int i) { return data.data() + static_cast<std::size_t>(i) * bins; }
  const std::complex<float>* frame(int i) const { return data.data() + static_cast<std::size_t>(i) * bins; }
};

Stft stft(std::span<const float> x, int n_fft, int hop);

// Overlap-add of the inverse transforms, normalised by the summed squared window: istft(stft(x)) == x.
std::vector<float> istft(const Stft& spectrum, std::size_t length);

// The power of two nearest to seconds · rate.
int fft_size(double seconds, int rate);

// Throws tyto::Error bad_request for a rate outside [8000, 96000].
void check_rate(int rate, const char* who);

// The Hann window of n samples (periodic).
std::vector<float> hann(int n);

}  // namespace tyto::drums::detail
