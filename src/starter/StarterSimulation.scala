package perfplan

import io.gatling.core.Predef._
import io.gatling.http.Predef._
import scala.concurrent.duration._

// perfplan passes this pod's share of the load as system properties.
class StarterSimulation extends Simulation {
  private val users = Integer.getInteger("users", 1).toInt
  private val rampUp = Integer.getInteger("rampup", 0).toInt
  private val duration = Integer.getInteger("duration", 60).toInt
  private val target = System.getProperty("target.url")

  private val scn = scenario("starter")
    .during(duration.seconds) {
      exec(http("home").get("/")).pause(1)
    }

  setUp(scn.inject(rampUsers(users).during(rampUp.seconds)))
    .protocols(http.baseUrl(target))
}
