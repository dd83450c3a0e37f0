namespace NetSecStream.Core.Ecs;

/// <summary>
/// Parses the RFC 3339 instants ECS documents carry (<c>2025-03-14T15:09:26.5358979Z</c>, <c>...+01:00</c>) straight
/// from UTF-8, returning them in UTC. Digits finer than a tick (100 ns) are truncated. Anything else (no offset, a
/// date alone) is left to the slower ISO 8601 reader of System.Text.Json, so no form it took is lost.
/// </summary>
internal static class Utf8Timestamp
{
    public static bool TryParse(ReadOnlySpan<byte> text, out DateTimeOffset value)
    {
        value = default;
        // yyyy-MM-ddTHH:mm:ssZ is the shortest form.
        if (text.Length < 20
            || text[4] != '-' || text[7] != '-' || (text[10] | 0x20) != 't' || text[13] != ':' || text[16] != ':'
            || !TryDigits(text, 0, 4, out int year) || !TryDigits(text, 5, 2, out int month) || !TryDigits(text, 8, 2, out int day)
            || !TryDigits(text, 11, 2, out int hour) || !TryDigits(text, 14, 2, out int minute) || !TryDigits(text, 17, 2, out int second))
        {
            return false;
        }

        int i = 19;
        long fraction = 0;
        if (text[i] == '.')
        {
            int digits = 0;
            for (i++; i < text.Length && IsDigit(text[i]); i++, digits++)
            {
                if (digits < 7)
                {
                    fraction = (fraction * 10) + (text[i] - '0');
                }
            }

            if (digits == 0)
            {
                return false;
            }

            for (; digits < 7; digits++)
            {
                fraction *= 10;
            }
        }

        if (!TryOffset(text[i..], out int offsetMinutes)
            || year == 0 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month)
            || hour > 23 || minute > 59 || second > 59)
        {
            return false;
        }

        long ticks = (new DateOnly(year, month, day).DayNumber * TimeSpan.TicksPerDay)
            + (hour * TimeSpan.TicksPerHour) + (minute * TimeSpan.TicksPerMinute) + (second * TimeSpan.TicksPerSecond)
            + fraction - (offsetMinutes * TimeSpan.TicksPerMinute);
        if (ticks < DateTimeOffset.MinValue.UtcTicks || ticks > DateTimeOffset.MaxValue.UtcTicks)
        {
            return false;
        }

        value = new DateTimeOffset(ticks, TimeSpan.Zero);
        return true;
    }

    private static bool TryOffset(ReadOnlySpan<byte> text, out int minutes)
    {
        minutes = 0;
        if (text.Length == 1 && (text[0] | 0x20) == 'z')
        {
            return true;
        }

        if (text.Length != 6 || text[0] is not ((byte)'+' or (byte)'-') || text[3] != ':'
            || !TryDigits(text, 1, 2, out int hours) || !TryDigits(text, 4, 2, out int mins) || hours > 23 || mins > 59)
        {
            return false;
        }

        minutes = text[0] == '-' ? -((hours * 60) + mins) : (hours * 60) + mins;
        return true;
    }

    private static bool TryDigits(ReadOnlySpan<byte> text, int start, int count, out int value)
    {
        value = 0;
        for (int i = start; i < start + count; i++)
        {
            if (!IsDigit(text[i]))
            {
                return false;
            }

            value = (value * 10) + (text[i] - '0');
        }

        return true;
    }

    private static bool IsDigit(byte b) => (uint)(b - '0') <= 9;
}
