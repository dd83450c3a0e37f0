namespace NetSecStream.Collectors.Hubble;

/// <summary>
/// Parses RFC 3339 timestamps as protobuf's JSON mapping writes them (<c>2021-06-16T16:52:13.136834446Z</c>)
/// straight from UTF-8. Fractions finer than a tick (100 ns) are truncated; offsets other than Z are honoured.
/// </summary>
internal static class Rfc3339
{
    public static bool TryParse(ReadOnlySpan<byte> text, out DateTimeOffset value)
    {
        value = default;
        if (text.Length < 20
            || !TryDigits(text.Slice(0, 4), out int year) || text[4] != '-'
            || !TryDigits(text.Slice(5, 2), out int month) || text[7] != '-'
            || !TryDigits(text.Slice(8, 2), out int day) || text[10] is not ((byte)'T' or (byte)'t' or (byte)' ')
            || !TryDigits(text.Slice(11, 2), out int hour) || text[13] != ':'
            || !TryDigits(text.Slice(14, 2), out int minute) || text[16] != ':'
            || !TryDigits(text.Slice(17, 2), out int second))
        {
            return false;
        }

        int i = 19;
        long fractionTicks = 0;
        if (text[i] == '.')
        {
            i++;
            int digits = 0;
            while (i < text.Length && IsDigit(text[i]))
            {
                if (digits < 7)
                {
                    fractionTicks = (fractionTicks * 10) + (text[i] - '0');
                    digits++;
                }

                i++;
            }

            if (digits == 0)
            {
                return false;
            }

            for (; digits < 7; digits++)
            {
                fractionTicks *= 10;
            }
        }

        if (i >= text.Length)
        {
            return false;
        }

        long offsetMinutes = 0;
        if (text[i] is (byte)'Z' or (byte)'z')
        {
            i++;
        }
        else if (text[i] is (byte)'+' or (byte)'-')
        {
            if (text.Length - i < 6
                || !TryDigits(text.Slice(i + 1, 2), out int offsetHours) || text[i + 3] != ':'
                || !TryDigits(text.Slice(i + 4, 2), out int offsetMins)
                || offsetHours > 23 || offsetMins > 59)
            {
                return false;
            }

            offsetMinutes = (offsetHours * 60) + offsetMins;
            if (text[i] == '-')
            {
                offsetMinutes = -offsetMinutes;
            }

            i += 6;
        }
        else
        {
            return false;
        }

        if (i != text.Length
            || year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month)
            || hour > 23 || minute > 59 || second > 59)
        {
            return false;
        }

        long ticks = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Utc).Ticks
            + fractionTicks - (offsetMinutes * TimeSpan.TicksPerMinute);
        if (ticks < DateTime.MinValue.Ticks || ticks > DateTime.MaxValue.Ticks)
        {
            return false;
        }

        value = new DateTimeOffset(ticks, TimeSpan.Zero);
        return true;
    }

    private static bool TryDigits(ReadOnlySpan<byte> digits, out int value)
    {
        value = 0;
        foreach (byte b in digits)
        {
            if (!IsDigit(b))
            {
                return false;
            }

            value = (value * 10) + (b - '0');
        }

        return true;
    }

    private static bool IsDigit(byte b) => (uint)(b - '0') <= 9;
}
