using NetSecStream.Behaviour.NslKdd;

namespace NetSecStream.Behaviour.FlowDatasets;

/// <summary>Attack-vs-benign figures from predictions, the same for ML.NET and ONNX models and for pooled cross-validation folds.</summary>
internal static class FlowMetrics
{
    /// <param name="truth">Labels (true = attack).</param>
    /// <param name="families">Each row's family (only attack rows count towards recall per family).</param>
    /// <param name="predicted">The model's decisions.</param>
    /// <param name="scores">Higher = more likely an attack (ROC AUC); NaN AUC when one class is absent.</param>
    public static DetectionMetrics Compute(IReadOnlyList<bool> truth, IReadOnlyList<string> families, IReadOnlyList<bool> predicted, IReadOnlyList<float> scores)
    {
        long tp = 0, fp = 0, tn = 0, fn = 0;
        var byFamily = new Dictionary<string, (long Rows, long Detected)>(StringComparer.Ordinal);
        for (int i = 0; i < truth.Count; i++)
        {
            bool said = predicted[i];
            if (truth[i])
            {
                tp += said ? 1 : 0;
                fn += said ? 0 : 1;
                (long n, long d) = byFamily.GetValueOrDefault(families[i]);
                byFamily[families[i]] = (n + 1, d + (said ? 1 : 0));
            }
            else
            {
                fp += said ? 1 : 0;
                tn += said ? 0 : 1;
            }
        }

        double precision = tp + fp == 0 ? 0 : (double)tp / (tp + fp);
        double recall = tp + fn == 0 ? 0 : (double)tp / (tp + fn);
        return new DetectionMetrics(truth.Count, (double)(tp + tn) / Math.Max(1, truth.Count), precision, recall,
            precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall), fp + tn == 0 ? 0 : (double)fp / (fp + tn),
            RocAuc(truth, scores), tp, fp, tn, fn,
            byFamily.OrderBy(f => f.Key, StringComparer.Ordinal).ToDictionary(f => f.Key, f => (f.Value.Rows, (double)f.Value.Detected / f.Value.Rows)));
    }

    /// <summary>ROC AUC as the Mann-Whitney statistic: the chance a random attack scores above a random benign flow (ties count half).</summary>
    public static double RocAuc(IReadOnlyList<bool> truth, IReadOnlyList<float> scores)
    {
        int[] order = [.. Enumerable.Range(0, truth.Count).OrderBy(i => scores[i])];
        long positives = truth.Count(t => t), negatives = truth.Count - positives;
        if (positives == 0 || negatives == 0)
        {
            return double.NaN;
        }

        double rankSum = 0;
        for (int i = 0; i < order.Length;)
        {
            int j = i;
            while (j + 1 < order.Length && scores[order[j + 1]] == scores[order[i]])
            {
                j++;
            }

            double rank = (i + j) / 2.0 + 1; // average rank of the tie group
            for (int k = i; k <= j; k++)
            {
                rankSum += truth[order[k]] ? rank : 0;
            }

            i = j + 1;
        }

        return (rankSum - positives * (positives + 1) / 2.0) / ((double)positives * negatives);
    }
}
