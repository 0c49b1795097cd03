import Dispatch
import SIPCore

/// The voice-quality alarm: a call's MOS over the last interval (E-model,
/// ~5 s) below `sipendpoint.quality.vq-alarm-mos` turns it on; the agent
/// desktop hears of each change as a `quality` event on `/v1/events`
/// (checked every second, pushed only on change).
extension ControlAPI {
    static func alarm(_ m: CallMediaStatistics, below threshold: Double) -> Bool {
        m.intervalMOS > 0 && m.intervalMOS < threshold
    }

    /// Starts the once-a-second check; call once, on `queue`.
    func startQualityWatch() {
        let t = DispatchSource.makeTimerSource(queue: queue)
        t.schedule(deadline: .now() + .seconds(1), repeating: .seconds(1), leeway: .milliseconds(100))
        t.setEventHandler { [weak self] in self?.checkQuality() }
        qualityTimer = t
        t.resume()
    }

    func checkQuality() {
        // Nobody listening: no hop onto the SIP queue; a stream that opens later hears the alarms as they stand.
        guard sinks.contains(where: { $0.isOpen }) else {
            alarms = [:]
            return
        }
        let snap = snapshot()
        let threshold = snap.config.calls.vqAlarmMOS
        var now: [String: Bool] = [:]
        for c in snap.calls where c.state == "established" {
            guard let m = c.media else { continue }
            let on = Self.alarm(m, below: threshold)
            now[c.id] = on
            if (alarms[c.id] ?? false) != on {
                broadcast(event: "quality", data: ControlView.encode(ControlView.Quality(
                    id: c.id, vq_alarm_on: on, local_inter_mos: ControlView.figure(m.intervalMOS), local_mos: ControlView.figure(m.localMOS),
                    rtt_ms: ControlView.figure(m.rttMs), threshold: threshold)))
            }
        }
        alarms = now
    }
}
